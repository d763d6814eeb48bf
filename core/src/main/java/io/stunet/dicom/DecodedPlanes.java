package io.stunet.dicom;

/** What the lossless decoders share: their per-component sample planes written out as {@link PixelData} lays out a frame. */
final class DecodedPlanes {
    private DecodedPlanes() {
    }

    /**
     * Writes {@code planes[s][pixel]} into {@code out} colour-by-pixel, each sample as
     * {@code bytesPerSample} little-endian bytes (one or two).
     */
    static void write(int[][] planes, int samples, int pixels, int bytesPerSample, byte[] out) {
        for (int s = 0; s < samples; s++) {
            int[] plane = planes[s];
            for (int p = 0; p < pixels; p++) {
                int o = (p * samples + s) * bytesPerSample;
                int v = plane[p];
                out[o] = (byte) v;
                if (bytesPerSample > 1) {
                    out[o + 1] = (byte) (v >>> 8);
                }
            }
        }
    }
}
