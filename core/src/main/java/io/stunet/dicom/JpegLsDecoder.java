package io.stunet.dicom;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidDicomException;
import java.nio.ByteBuffer;

/**
 * JPEG-LS (ITU-T T.87 / ISO 14495-1, LOCO-I) decoding of one SOF55 frame, for transfer
 * syntaxes 1.2.840.10008.1.2.4.80 (lossless) and .81 (near-lossless, NEAR &gt; 0): 2 to 16 bits
 * precision; regular mode (365 contexts, MED prediction, bias correction, limited-length
 * Golomb-Rice codes, the special error mapping for k = 0) and run mode (32 run orders, run
 * interruption contexts 365/366); NEAR quantisation with reconstruction modulo RANGE; default
 * thresholds of T.87 C.2.4.1.1 for any MAXVAL, overridden by an LSE preset-parameters segment
 * (id 1). One component, or several as separate scans (interleave mode 0) or line-interleaved
 * (mode 1). JPEG-LS bit stuffing is undone: after an 0xFF byte only 7 bits of the next byte
 * are data, and an 0xFF followed by a byte with its high bit set is a marker.
 *
 * <p>Refused with {@link ErrorCode#UNSUPPORTED_TRANSFER_SYNTAX}: sample interleaving (mode 2),
 * restart intervals (DRI), mapping tables, point transforms, subsampled components, colour
 * transforms (APP8 "mrfx") and other JPEG processes. Malformed or truncated streams fail with
 * {@link ErrorCode#INVALID_DICOM}.
 */
final class JpegLsDecoder extends JpegSegments {
    /** Run-length orders J[RUNindex] (T.87 A.2.1). */
    private static final int[] J = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
        4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    private static final int CONTEXTS = 365;
    private static final int MIN_C = -128;
    private static final int MAX_C = 127;

    private final int expectedRows;
    private final int expectedColumns;
    private final int expectedSamples;

    // Frame header and preset parameters (0: default).
    private int precision;
    private int width;
    private int height;
    private int[] componentIds;
    private int[][] planes;
    private boolean[] decoded;
    private int presetMaxVal;
    private int presetT1;
    private int presetT2;
    private int presetT3;
    private int presetReset;

    // Coding parameters of the current scan (T.87 A.2.1).
    private int near;
    private int maxVal;
    private int range;
    private int qbpp;
    private int limit;
    private int t1;
    private int t2;
    private int t3;
    private int reset;

    // Context variables: 365 regular contexts, then the run interruption contexts 365 and 366.
    private final int[] a = new int[CONTEXTS + 2];
    private final int[] b = new int[CONTEXTS];
    private final int[] c = new int[CONTEXTS];
    private final int[] n = new int[CONTEXTS + 2];
    private final int[] nn = new int[2];
    private int runIndex;

    // Bit reader.
    private long bits;
    private int bitCount;
    private boolean stuffed;
    private boolean hitMarker;
    private long padBits;

    private JpegLsDecoder(ByteBuffer in, int rows, int columns, int samples) {
        super(in, "JPEG-LS");
        this.expectedRows = rows;
        this.expectedColumns = columns;
        this.expectedSamples = samples;
    }

    /** Decodes {@code data} into {@code out} as little-endian colour-by-pixel samples of {@code bytesPerSample} bytes. */
    static void decode(ByteBuffer data, int rows, int columns, int samples, int bytesPerSample, byte[] out) {
        JpegLsDecoder d = new JpegLsDecoder(data, rows, columns, samples);
        d.run();
        if (d.precision > 8 * bytesPerSample) {
            throw DicomReader.invalid("JPEG-LS precision " + d.precision + " exceeds BitsAllocated " + 8 * bytesPerSample);
        }
        DecodedPlanes.write(d.planes, samples, rows * columns, bytesPerSample, out);
    }

    // ------------------------------------------------------------------ markers and segments

    private void run() {
        if (u8() != 0xFF || u8() != 0xD8) {
            throw DicomReader.invalid("JPEG-LS frame does not start with SOI");
        }
        while (true) {
            int marker = nextMarker();
            switch (marker) {
                case 0xF7 -> readFrameHeader();
                case 0xF8 -> readPresetParameters();
                case 0xDD -> readRestartInterval();
                case 0xDA -> readScan();
                case 0xE8 -> readApp8();
                case 0xD9 -> {
                    checkComplete();
                    return;
                }
                case 0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF ->
                    throw unsupported("JPEG process SOF" + (marker - 0xC0) + " in a JPEG-LS transfer syntax");
                default -> pos += segmentLength() - 2;
            }
        }
    }

    private void checkComplete() {
        if (planes == null) {
            throw DicomReader.invalid("JPEG-LS frame has no image");
        }
        for (boolean done : decoded) {
            if (!done) {
                throw DicomReader.invalid("JPEG-LS frame lacks the scan of a component");
            }
        }
    }

    private void readFrameHeader() {
        if (planes != null) {
            throw DicomReader.invalid("JPEG-LS frame with two frame headers");
        }
        segmentLength();
        precision = u8();
        height = u16();
        width = u16();
        int count = u8();
        if (precision < 2 || precision > 16 || height < 1 || width < 1 || count < 1 || count > 4) {
            throw DicomReader.invalid("JPEG-LS frame header out of range");
        }
        if (width != expectedColumns || height != expectedRows || count != expectedSamples) {
            // Checked before the planes are allocated, so a corrupt header cannot ask for gigabytes.
            throw DicomReader.invalid("JPEG-LS frame is " + width + "x" + height + "x" + count
                    + ", the dataset says " + expectedColumns + "x" + expectedRows + "x" + expectedSamples);
        }
        componentIds = new int[count];
        for (int i = 0; i < count; i++) {
            componentIds[i] = u8();
            int hv = u8();
            u8();
            if (hv != 0x11) {
                throw unsupported("subsampled JPEG-LS components");
            }
        }
        planes = new int[count][width * height];
        decoded = new boolean[count];
    }

    /** LSE (T.87 C.2.4.1): id 1 sets MAXVAL, T1, T2, T3 and RESET; mapping tables are skipped (scans using them are refused). */
    private void readPresetParameters() {
        int len = segmentLength();
        int stop = pos + len - 2;
        int id = u8();
        if (id == 1) {
            if (len != 13) {
                throw DicomReader.invalid("JPEG-LS preset parameters segment of length " + len);
            }
            presetMaxVal = u16();
            presetT1 = u16();
            presetT2 = u16();
            presetT3 = u16();
            presetReset = u16();
        } else if (id == 4) {
            throw unsupported("JPEG-LS oversize image dimensions (LSE id 4)");
        }
        pos = stop;
    }

    private void readRestartInterval() {
        segmentLength();
        if (u16() != 0) {
            throw unsupported("JPEG-LS restart intervals are not decoded");
        }
    }

    /** APP8 "mrfx" announces an HP colour transform, which DICOM does not allow and we do not undo. */
    private void readApp8() {
        int len = segmentLength();
        int stop = pos + len - 2;
        if (len >= 7 && u8() == 'm' && u8() == 'r' && u8() == 'f' && u8() == 'x' && u8() != 0) {
            throw unsupported("JPEG-LS colour transform (APP8 mrfx)");
        }
        pos = stop;
    }

    private void readScan() {
        if (planes == null) {
            throw DicomReader.invalid("JPEG-LS scan before the frame header");
        }
        int len = segmentLength();
        int ns = u8();
        if (ns < 1 || ns > componentIds.length || len != 6 + 2 * ns) {
            throw DicomReader.invalid("JPEG-LS scan with " + ns + " components");
        }
        int[] comps = new int[ns];
        for (int i = 0; i < ns; i++) {
            comps[i] = componentIndex(u8());
            if (u8() != 0) {
                throw unsupported("JPEG-LS mapping tables");
            }
        }
        near = u8();
        int ilv = u8();
        int pointTransform = u8();
        if (pointTransform != 0) {
            throw unsupported("JPEG-LS point transform " + pointTransform);
        }
        if (ilv > 2 || (ilv == 0) != (ns == 1)) {
            throw DicomReader.invalid("JPEG-LS interleave mode " + ilv + " with " + ns + " components");
        }
        if (ilv == 2) {
            throw unsupported("JPEG-LS sample-interleaved scans");
        }
        initParameters();
        decodeLines(comps);
        for (int comp : comps) {
            decoded[comp] = true;
        }
    }

    private int componentIndex(int id) {
        for (int i = 0; i < componentIds.length; i++) {
            if (componentIds[i] == id) {
                if (decoded[i]) {
                    throw DicomReader.invalid("JPEG-LS component decoded twice");
                }
                return i;
            }
        }
        throw DicomReader.invalid("JPEG-LS scan names an unknown component");
    }

    // ------------------------------------------------------------------ parameters and contexts

    /** MAXVAL, thresholds and RESET (preset or default), then RANGE, qbpp, LIMIT and fresh contexts (T.87 A.2.1). */
    private void initParameters() {
        maxVal = presetMaxVal != 0 ? presetMaxVal : (1 << precision) - 1;
        if (maxVal >= 1 << precision || near > Math.min(255, maxVal / 2)) {
            throw DicomReader.invalid("JPEG-LS MAXVAL " + maxVal + " or NEAR " + near + " out of range");
        }
        computeThresholds();
        reset = presetReset != 0 ? presetReset : 64;
        if (t1 < near + 1 || t2 < t1 || t3 < t2 || t3 > maxVal || reset < 3 || reset > Math.max(255, maxVal)) {
            throw DicomReader.invalid("JPEG-LS thresholds or RESET out of range");
        }
        range = (maxVal + 2 * near) / (2 * near + 1) + 1;
        qbpp = ceilLog2(range);
        int bpp = Math.max(2, ceilLog2(maxVal + 1));
        limit = 2 * (bpp + Math.max(8, bpp));
        int initialA = Math.max(2, (range + 32) / 64);
        java.util.Arrays.fill(a, initialA);
        java.util.Arrays.fill(b, 0);
        java.util.Arrays.fill(c, 0);
        java.util.Arrays.fill(n, 1);
        java.util.Arrays.fill(nn, 0);
    }

    /** Preset thresholds, or the defaults of T.87 C.2.4.1.1 for this MAXVAL and NEAR. */
    private void computeThresholds() {
        int d1;
        int d2;
        int d3;
        if (maxVal >= 128) {
            int factor = (Math.min(maxVal, 4095) + 128) / 256;
            d1 = clamp(factor * (3 - 2) + 2 + 3 * near, near + 1);
            d2 = clamp(factor * (7 - 3) + 3 + 5 * near, d1);
            d3 = clamp(factor * (21 - 4) + 4 + 7 * near, d2);
        } else {
            int factor = 256 / (maxVal + 1);
            d1 = clamp(Math.max(2, 3 / factor + 3 * near), near + 1);
            d2 = clamp(Math.max(3, 7 / factor + 5 * near), d1);
            d3 = clamp(Math.max(4, 21 / factor + 7 * near), d2);
        }
        t1 = presetT1 != 0 ? presetT1 : d1;
        t2 = presetT2 != 0 ? presetT2 : d2;
        t3 = presetT3 != 0 ? presetT3 : d3;
    }

    private int clamp(int i, int j) {
        return i > maxVal || i < j ? j : i;
    }

    private static int ceilLog2(int x) {
        return 32 - Integer.numberOfLeadingZeros(x - 1);
    }

    // ------------------------------------------------------------------ scan decoding

    /**
     * Decodes the lines of a scan: one component, or line-interleaved components sharing the
     * contexts, each with its own RUNindex. Lines carry one guard sample at each end (T.87 A.2.1
     * edge rules: Ra = Rb and Rc = the previous line's Ra at the start, Rd = Rb at the end).
     */
    private void decodeLines(int[] comps) {
        int ns = comps.length;
        int[][] prev = new int[ns][width + 2];
        int[][] cur = new int[ns][width + 2];
        int[] runIndexes = new int[ns];
        resetBitReader();
        for (int y = 0; y < height; y++) {
            for (int i = 0; i < ns; i++) {
                int[] p = prev[i];
                int[] line = cur[i];
                p[width + 1] = p[width];
                line[0] = p[1];
                runIndex = runIndexes[i];
                decodeLine(p, line);
                runIndexes[i] = runIndex;
                System.arraycopy(line, 1, planes[comps[i]], y * width, width);
                prev[i] = line;
                cur[i] = p;
            }
        }
        if (padBits > bitCount) {
            throw DicomReader.invalid("JPEG-LS scan data truncated");
        }
        // The scan ends where its marker begins (fill() stops there); nextMarker() finds it.
    }

    private void decodeLine(int[] p, int[] line) {
        int x = 1;
        while (x <= width) {
            int ra = line[x - 1];
            int rb = p[x];
            int rc = p[x - 1];
            int rd = p[x + 1];
            int d1 = rd - rb;
            int d2 = rb - rc;
            int d3 = rc - ra;
            if (Math.abs(d1) <= near && Math.abs(d2) <= near && Math.abs(d3) <= near) {
                x = decodeRun(p, line, x);
            } else {
                line[x] = decodeRegular(ra, rb, rc, d1, d2, d3);
                x++;
            }
        }
    }

    /** Regular mode (T.87 A.3 to A.6): context, corrected MED prediction, Golomb-coded error, updates. */
    private int decodeRegular(int ra, int rb, int rc, int d1, int d2, int d3) {
        int q1 = quantize(d1);
        int q2 = quantize(d2);
        int q3 = quantize(d3);
        int sign = 1;
        if (q1 < 0 || (q1 == 0 && (q2 < 0 || (q2 == 0 && q3 < 0)))) {
            q1 = -q1;
            q2 = -q2;
            q3 = -q3;
            sign = -1;
        }
        int q = (q1 * 9 + q2) * 9 + q3;
        int px = Math.min(maxVal, Math.max(0, predict(ra, rb, rc) + sign * c[q]));
        int k = golombK(n[q], a[q]);
        int mapped = decodeGolomb(k, limit);
        int err = unmap(mapped);
        if (near == 0 && k == 0 && 2 * b[q] <= -n[q]) {
            err = -err - 1; // the special mapping for a negative bias (T.87 A.5.2)
        }
        updateRegular(q, err);
        return reconstruct(px, sign * err);
    }

    private int quantize(int d) {
        if (d <= -t3) {
            return -4;
        } else if (d <= -t2) {
            return -3;
        } else if (d <= -t1) {
            return -2;
        } else if (d < -near) {
            return -1;
        } else if (d <= near) {
            return 0;
        } else if (d < t1) {
            return 1;
        } else if (d < t2) {
            return 2;
        } else if (d < t3) {
            return 3;
        }
        return 4;
    }

    /** The median edge detector (T.87 A.4.1). */
    private static int predict(int ra, int rb, int rc) {
        if (rc >= Math.max(ra, rb)) {
            return Math.min(ra, rb);
        }
        if (rc <= Math.min(ra, rb)) {
            return Math.max(ra, rb);
        }
        return ra + rb - rc;
    }

    /** Inverse of the error mapping 0, -1, 1, -2, ... to 0, 1, 2, 3, ... */
    private static int unmap(int mapped) {
        return (mapped & 1) == 0 ? mapped >>> 1 : -((mapped + 1) >>> 1);
    }

    private static int golombK(int count, int accumulated) {
        int k = 0;
        while (((long) count << k) < accumulated) {
            k++;
        }
        return k;
    }

    /** Context update and bias correction (T.87 A.6.1, A.6.2). */
    private void updateRegular(int q, int err) {
        b[q] += err * (2 * near + 1);
        a[q] += Math.abs(err);
        if (n[q] == reset) {
            a[q] >>= 1;
            b[q] >>= 1;
            n[q] >>= 1;
        }
        n[q]++;
        if (b[q] <= -n[q]) {
            b[q] += n[q];
            if (c[q] > MIN_C) {
                c[q]--;
            }
            if (b[q] <= -n[q]) {
                b[q] = -n[q] + 1;
            }
        } else if (b[q] > 0) {
            b[q] -= n[q];
            if (c[q] < MAX_C) {
                c[q]++;
            }
            if (b[q] > 0) {
                b[q] = 0;
            }
        }
    }

    /** Reconstruction from a quantised error: dequantise, reduce modulo RANGE, clamp (T.87 A.4.4). */
    private int reconstruct(int px, int err) {
        int rx = px + err * (2 * near + 1);
        if (rx < -near) {
            rx += range * (2 * near + 1);
        } else if (rx > maxVal + near) {
            rx -= range * (2 * near + 1);
        }
        return Math.min(maxVal, Math.max(0, rx));
    }

    /**
     * Run mode (T.87 A.7): run segments of 2^J[RUNindex] samples while 1 bits come, a partial
     * run at the end of the line, else a 0 bit, J[RUNindex] bits of remaining length and the run
     * interruption sample. Returns the next column.
     */
    private int decodeRun(int[] p, int[] line, int x) {
        int ra = line[x - 1];
        int remaining = width - x + 1;
        int length = 0;
        boolean interrupted = true;
        while (readBit() == 1) {
            int segment = 1 << J[runIndex];
            int count = Math.min(segment, remaining - length);
            length += count;
            if (count == segment && runIndex < 31) {
                runIndex++;
            }
            if (length == remaining) {
                interrupted = false;
                break;
            }
        }
        if (interrupted) {
            length += readBits(J[runIndex]);
            if (length >= remaining) {
                throw DicomReader.invalid("JPEG-LS run longer than its line");
            }
        }
        java.util.Arrays.fill(line, x, x + length, ra);
        int at = x + length;
        if (!interrupted) {
            return at;
        }
        line[at] = decodeInterruption(ra, p[at]);
        if (runIndex > 0) {
            runIndex--;
        }
        return at + 1;
    }

    /** The run interruption sample (T.87 A.7.2), coded in context 365 (Ra != Rb) or 366 (Ra = Rb within NEAR). */
    private int decodeInterruption(int ra, int rb) {
        int riType = Math.abs(ra - rb) <= near ? 1 : 0;
        int q = CONTEXTS + riType;
        int temp = riType == 0 ? a[q] : a[q] + (n[q] >> 1);
        int k = golombK(n[q], temp);
        int mapped = decodeGolomb(k, limit - J[runIndex] - 1);
        int t = mapped + riType;
        int map = t & 1;
        int magnitude = (t + map) >> 1;
        boolean positiveWhenMapped = k == 0 && 2 * nn[riType] < n[q];
        int err = (map == 1) != positiveWhenMapped ? -magnitude : magnitude;
        if (err < 0) {
            nn[riType]++;
        }
        a[q] += (mapped + 1 - riType) >> 1;
        if (n[q] == reset) {
            a[q] >>= 1;
            n[q] >>= 1;
            nn[riType] >>= 1;
        }
        n[q]++;
        int px = riType == 1 ? ra : rb;
        int sign = riType == 0 && ra > rb ? -1 : 1;
        return reconstruct(px, sign * err);
    }

    /** A limited-length Golomb code LG(k, glimit) (T.87 A.5.3): unary quotient, then k bits or an escaped qbpp-bit value. */
    private int decodeGolomb(int k, int glimit) {
        int escape = glimit - qbpp - 1;
        int quotient = 0;
        while (readBit() == 0) {
            if (++quotient > escape) {
                throw DicomReader.invalid("JPEG-LS Golomb code longer than its limit");
            }
        }
        long value = quotient < escape ? ((long) quotient << k) | readBits(k) : readBits(qbpp) + 1L;
        if (value > 2L * range) {
            throw DicomReader.invalid("JPEG-LS mapped error out of range");
        }
        return (int) value;
    }

    // ------------------------------------------------------------------ bit reader

    private void resetBitReader() {
        bits = 0;
        bitCount = 0;
        stuffed = false;
        hitMarker = false;
        padBits = 0;
    }

    private int readBit() {
        if (bitCount == 0) {
            fill();
        }
        bitCount--;
        return (int) (bits >>> bitCount) & 1;
    }

    private int readBits(int count) {
        if (count == 0) {
            return 0;
        }
        if (count > 31) {
            throw DicomReader.invalid("JPEG-LS code of " + count + " bits");
        }
        if (bitCount < count) {
            fill();
        }
        bitCount -= count;
        return (int) ((bits >>> bitCount) & ((1L << count) - 1));
    }

    /**
     * Buffers at least 57 bits. After an 0xFF data byte only the low 7 bits of the next byte are
     * data; an 0xFF whose next byte has its high bit set begins a marker, where the scan ends:
     * from there (or the end of the data) zeros are fed and counted, so that a scan that used
     * them is known to be truncated.
     */
    private void fill() {
        while (bitCount <= 56) {
            if (hitMarker || pos >= end) {
                bits <<= 8;
                bitCount += 8;
                padBits += 8;
                continue;
            }
            int v = in.get(pos) & 0xff;
            if (v == 0xFF && (pos + 1 >= end || (in.get(pos + 1) & 0xff) >= 0x80)) {
                hitMarker = true;
                continue;
            }
            pos++;
            if (stuffed) {
                bits = (bits << 7) | v;
                bitCount += 7;
            } else {
                bits = (bits << 8) | v;
                bitCount += 8;
            }
            stuffed = v == 0xFF;
        }
    }

    private static InvalidDicomException unsupported(String what) {
        return new InvalidDicomException(ErrorCode.UNSUPPORTED_TRANSFER_SYNTAX, what + " (not supported)");
    }

    @Override
    protected boolean imageStarted() {
        return planes != null;
    }
}
