package io.stunet.dicom;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * DICOM RLE lossless (PS3.5 annex G): a 64-byte header of segment offsets, one PackBits
 * segment per byte plane, most significant byte plane of each sample first. Decodes into
 * little-endian colour-by-pixel samples.
 */
final class RleDecoder {
    private RleDecoder() {
    }

    static void decode(ByteBuffer frame, int pixels, int samples, int bytesPerSample, byte[] out) {
        ByteBuffer f = frame.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = f.position();
        int segments = f.getInt(base);
        int expected = samples * bytesPerSample;
        if (segments != expected || segments > 15) {
            throw DicomReader.invalid("RLE frame has " + segments + " segments, " + expected + " expected");
        }
        int end = f.limit();
        for (int s = 0; s < segments; s++) {
            int start = base + f.getInt(base + 4 + 4 * s);
            int stop = s + 1 < segments ? base + f.getInt(base + 8 + 4 * s) : end;
            if (start < base + 64 || stop > end || stop < start) {
                throw DicomReader.invalid("RLE segment offsets out of range");
            }
            int sample = s / bytesPerSample;
            int byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
            int stride = samples * bytesPerSample;
            int o = sample * bytesPerSample + byteInSample;
            int p = 0;
            int i = start;
            while (p < pixels && i < stop) {
                int n = f.get(i++);
                if (n >= 0) {
                    int count = Math.min(n + 1, pixels - p);
                    if (i + count > stop) {
                        throw DicomReader.invalid("RLE literal run past its segment");
                    }
                    for (int k = 0; k < count; k++) {
                        out[o + (p++) * stride] = f.get(i++);
                    }
                    i += n + 1 - count;
                } else if (n != -128) {
                    byte v = f.get(i++);
                    int count = Math.min(1 - n, pixels - p);
                    for (int k = 0; k < count; k++) {
                        out[o + (p++) * stride] = v;
                    }
                }
            }
            if (p < pixels) {
                throw DicomReader.invalid("RLE segment " + s + " decodes to " + p + " of " + pixels + " bytes");
            }
        }
    }
}
