package io.stunet.dicom;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidDicomException;
import java.nio.ByteBuffer;

/**
 * JPEG lossless, process 14 (ITU T.81 annex H): Huffman-coded differences from one of seven
 * predictors, with point transform and restart intervals; interleaved and one-component scans.
 * Transfer syntaxes 1.2.840.10008.1.2.4.57 (any predictor) and .70 (predictor 1). Components
 * must not be subsampled (H = V = 1), as DICOM lossless images are. Other JPEG processes
 * fail with {@link ErrorCode#UNSUPPORTED_TRANSFER_SYNTAX}.
 */
final class JpegLosslessDecoder extends JpegSegments {
    private int bitBuffer;
    private int bitCount;
    private boolean hitMarker;

    private final short[][] tables = new short[4][];
    private int precision;
    private int restartInterval;
    private int[] componentIds;
    private int[][] planes;
    private int width;
    private int height;

    private JpegLosslessDecoder(ByteBuffer in) {
        super(in, "JPEG");
    }

    static void decode(ByteBuffer data, int rows, int columns, int samples, int bytesPerSample, byte[] out) {
        JpegLosslessDecoder d = new JpegLosslessDecoder(data);
        d.run();
        if (d.width != columns || d.height != rows || d.componentIds.length != samples) {
            throw DicomReader.invalid("JPEG frame is " + d.width + "x" + d.height + "x" + d.componentIds.length
                    + ", the dataset says " + columns + "x" + rows + "x" + samples);
        }
        DecodedPlanes.write(d.planes, samples, rows * columns, bytesPerSample, out);
    }

    private void run() {
        if (u8() != 0xFF || u8() != 0xD8) {
            throw DicomReader.invalid("JPEG frame does not start with SOI");
        }
        while (true) {
            int marker = nextMarker();
            switch (marker) {
                case 0xC3 -> readFrameHeader();
                case 0xC4 -> readHuffmanTables();
                case 0xDD -> {
                    segmentLength();
                    restartInterval = u16();
                }
                case 0xDA -> readScan();
                case 0xD9 -> {
                    if (planes == null) {
                        throw DicomReader.invalid("JPEG frame has no image");
                    }
                    return;
                }
                case 0xC0, 0xC1, 0xC2, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7 ->
                    throw new InvalidDicomException(ErrorCode.UNSUPPORTED_TRANSFER_SYNTAX,
                            "JPEG process SOF" + (marker - 0xC0) + " is not lossless process 14");
                default -> pos += segmentLength() - 2;
            }
        }
    }

    private void readFrameHeader() {
        segmentLength();
        precision = u8();
        height = u16();
        width = u16();
        int n = u8();
        if (precision < 2 || precision > 16 || height < 1 || width < 1 || n < 1 || n > 4) {
            throw DicomReader.invalid("JPEG frame header out of range");
        }
        componentIds = new int[n];
        planes = new int[n][width * height];
        for (int i = 0; i < n; i++) {
            componentIds[i] = u8();
            int hv = u8();
            u8();
            if (hv != 0x11) {
                throw new InvalidDicomException(ErrorCode.UNSUPPORTED_TRANSFER_SYNTAX, "subsampled JPEG lossless components");
            }
        }
    }

    private void readHuffmanTables() {
        int len = segmentLength();
        int stop = pos + len - 2;
        while (pos < stop) {
            int tcth = u8();
            int th = tcth & 0x0f;
            if (th > 3) {
                throw DicomReader.invalid("JPEG Huffman table id " + th);
            }
            int[] counts = new int[17];
            int total = 0;
            for (int l = 1; l <= 16; l++) {
                counts[l] = u8();
                total += counts[l];
            }
            if (total > 256 || pos + total > stop) {
                throw DicomReader.invalid("JPEG Huffman table too large");
            }
            // Lookup by the next 16 bits: (length << 8) | value, 0 for no code.
            short[] lut = new short[1 << 16];
            int code = 0;
            for (int l = 1; l <= 16; l++) {
                for (int k = 0; k < counts[l]; k++) {
                    int value = u8();
                    int span = 1 << (16 - l);
                    int first = code << (16 - l);
                    if (first + span > lut.length) {
                        throw DicomReader.invalid("JPEG Huffman table codes overflow");
                    }
                    short entry = (short) ((l << 8) | value);
                    for (int s = 0; s < span; s++) {
                        lut[first + s] = entry;
                    }
                    code++;
                }
                code <<= 1;
            }
            tables[th] = lut;
        }
    }

    private void readScan() {
        if (planes == null) {
            throw DicomReader.invalid("JPEG scan before frame header");
        }
        segmentLength();
        int ns = u8();
        if (ns < 1 || ns > componentIds.length) {
            throw DicomReader.invalid("JPEG scan with " + ns + " components");
        }
        int[] comps = new int[ns];
        short[][] luts = new short[ns][];
        for (int i = 0; i < ns; i++) {
            int id = u8();
            int t = u8() >> 4;
            comps[i] = -1;
            for (int c = 0; c < componentIds.length; c++) {
                if (componentIds[c] == id) {
                    comps[i] = c;
                }
            }
            if (comps[i] < 0 || t > 3 || tables[t] == null) {
                throw DicomReader.invalid("JPEG scan names an unknown component or Huffman table");
            }
            luts[i] = tables[t];
        }
        int predictor = u8();
        u8();
        int pt = u8() & 0x0f;
        if (predictor < 1 || predictor > 7 || pt >= precision) {
            throw DicomReader.invalid("JPEG lossless predictor " + predictor + " or point transform " + pt);
        }
        bitBuffer = 0;
        bitCount = 0;
        hitMarker = false;
        int mask = (1 << (precision - pt)) - 1;
        int initial = 1 << (precision - pt - 1);
        int mcus = width * height;
        int restartRow = 0;
        boolean restartPending = false;
        for (int m = 0; m < mcus; m++) {
            if (restartInterval > 0 && m > 0 && m % restartInterval == 0) {
                readRestart();
                restartPending = true;
            }
            int y = m / width;
            int x = m % width;
            if (restartPending) {
                restartRow = y;
                restartPending = false;
                if (x != 0) {
                    restartRow = -1 - m; // restart mid-row: this one sample uses the initial predictor
                }
            }
            for (int i = 0; i < ns; i++) {
                int[] plane = planes[comps[i]];
                int idx = m;
                int pred;
                if (restartRow == -1 - m || (y == restartRow && x == 0)) {
                    pred = initial;
                } else if (y == restartRow || restartRow < 0 && y == (-1 - restartRow) / width) {
                    pred = plane[idx - 1];
                } else if (x == 0) {
                    pred = plane[idx - width];
                } else {
                    int ra = plane[idx - 1];
                    int rb = plane[idx - width];
                    int rc = plane[idx - width - 1];
                    pred = switch (predictor) {
                        case 1 -> ra;
                        case 2 -> rb;
                        case 3 -> rc;
                        case 4 -> ra + rb - rc;
                        case 5 -> ra + ((rb - rc) >> 1);
                        case 6 -> rb + ((ra - rc) >> 1);
                        default -> (ra + rb) >> 1;
                    };
                }
                plane[idx] = (pred + difference(luts[i])) & mask;
            }
        }
        if (pt > 0) {
            for (int c : comps) {
                int[] plane = planes[c];
                for (int p = 0; p < plane.length; p++) {
                    plane[p] <<= pt;
                }
            }
        }
        // The scan's bytes end where the next marker begins; nextMarker() finds it.
        if (hitMarker) {
            pos -= 2;
        }
    }

    private void readRestart() {
        bitBuffer = 0;
        bitCount = 0;
        if (hitMarker) {
            hitMarker = false;
            return; // the marker bytes were consumed by fill()
        }
        int m = nextMarker();
        if (m < 0xD0 || m > 0xD7) {
            throw DicomReader.invalid("JPEG restart marker expected");
        }
    }

    private int difference(short[] lut) {
        fill(16);
        int entry = lut[(bitBuffer >>> (bitCount - 16)) & 0xffff] & 0xffff;
        if (entry == 0) {
            throw DicomReader.invalid("JPEG Huffman code not in table");
        }
        bitCount -= entry >>> 8;
        int s = entry & 0xff;
        if (s == 0) {
            return 0;
        }
        if (s == 16) {
            return 32768;
        }
        if (s > 16) {
            throw DicomReader.invalid("JPEG difference category " + s);
        }
        fill(s);
        int v = (bitBuffer >>> (bitCount - s)) & ((1 << s) - 1);
        bitCount -= s;
        return v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
    }

    /** Ensures {@code n} bits are buffered, unstuffing 0xFF00; past a marker or the end, zeros are fed. */
    private void fill(int n) {
        while (bitCount < n) {
            int byteValue = 0;
            if (!hitMarker && pos < end) {
                byteValue = in.get(pos++) & 0xff;
                if (byteValue == 0xFF) {
                    int next = pos < end ? in.get(pos) & 0xff : 0;
                    if (next == 0) {
                        pos++;
                    } else {
                        hitMarker = true;
                        pos++;
                        byteValue = 0;
                        if (next >= 0xD0 && next <= 0xD7) {
                            // keep pos after the RST marker; readRestart() sees hitMarker
                        }
                    }
                }
            } else if (!hitMarker && pos >= end) {
                throw DicomReader.invalid("JPEG entropy-coded data truncated");
            }
            bitBuffer = (bitBuffer << 8) | byteValue;
            bitCount += 8;
        }
    }

    @Override
    protected boolean imageStarted() {
        return planes != null;
    }
}
