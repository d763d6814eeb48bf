package io.stunet.preprocess;

/**
 * nnU-Net v1's per-channel normalization ({@code resample_and_normalize}), in place on a
 * float32 (z, y, x) buffer. Statistics are accumulated in double; numpy accumulates float32
 * pairwise, which differs by far less than the parity tolerance.
 */
public final class Normalization {
    private Normalization() {
    }

    /**
     * Normalizes {@code data}; {@code inside} (1 = inside the nonzero mask, as resampled with
     * the data) is required only when {@code spec.useMaskForNorm()}.
     */
    public static void apply(float[] data, NormalizationSpec spec, short[] inside) {
        if (spec.useMaskForNorm() && (inside == null || inside.length != data.length)) {
            throw new IllegalArgumentException("mask-based normalization needs the resampled nonzero mask");
        }
        if (spec.isCt()) {
            float lo = (float) spec.lowerBound();
            float hi = (float) spec.upperBound();
            double sd = Math.max(spec.sd(), 1e-8);
            float mean = (float) spec.mean();
            for (int i = 0; i < data.length; i++) {
                float v = Math.min(Math.max(data[i], lo), hi);
                data[i] = (float) ((v - mean) / sd);
            }
            if (spec.useMaskForNorm()) {
                for (int i = 0; i < data.length; i++) {
                    if (inside[i] == 0) {
                        data[i] = 0f;
                    }
                }
            }
            return;
        }
        double sum = 0;
        long n = 0;
        for (int i = 0; i < data.length; i++) {
            if (!spec.useMaskForNorm() || inside[i] != 0) {
                sum += data[i];
                n++;
            }
        }
        double mean = n == 0 ? 0 : sum / n;
        double sq = 0;
        for (int i = 0; i < data.length; i++) {
            if (!spec.useMaskForNorm() || inside[i] != 0) {
                double d = data[i] - mean;
                sq += d * d;
            }
        }
        double denom = (n == 0 ? 0 : Math.sqrt(sq / n)) + 1e-8;
        for (int i = 0; i < data.length; i++) {
            if (!spec.useMaskForNorm() || inside[i] != 0) {
                data[i] = (float) ((data[i] - mean) / denom);
            } else {
                data[i] = 0f;
            }
        }
    }
}
