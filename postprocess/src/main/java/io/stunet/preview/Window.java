package io.stunet.preview;

import java.util.Arrays;

/**
 * The intensity window that maps image values to gray levels: values at or below
 * {@code level - width / 2} are black, at or above {@code level + width / 2} white, linear in
 * between. CT uses a fixed soft-tissue window in Hounsfield units; other modalities, whose
 * units are arbitrary, use percentiles of the image.
 *
 * @param level centre of the window
 * @param width width of the window, positive
 */
public record Window(double level, double width) {
    /** Soft-tissue CT window, level 40 HU / width 400 HU. */
    public static final Window CT = new Window(40, 400);

    // Enough samples to place 0.5/99.5 percentiles well, few enough to sort in milliseconds.
    private static final int MAX_SAMPLES = 1 << 20;

    public Window {
        if (!(width > 0) || !Double.isFinite(level) || Double.isInfinite(width)) {
            throw new IllegalArgumentException("window needs a finite level and a positive finite width");
        }
    }

    /** The window for non-CT images: 0.5th to 99.5th percentile, the range nnU-Net clips CT to. */
    public static Window percentiles(float[] image) {
        return percentiles(image, 0.5, 99.5);
    }

    /**
     * The window between the {@code lower} and {@code upper} percentiles (0..100) of the
     * finite values of {@code image}, estimated from a fixed-stride sample so the result is
     * the same on every run. Falls back to a unit width for a constant image.
     */
    public static Window percentiles(float[] image, double lower, double upper) {
        int stride = Math.max(1, image.length / MAX_SAMPLES);
        float[] sample = new float[(image.length + stride - 1) / stride];
        int n = 0;
        for (int i = 0; i < image.length; i += stride) {
            if (Float.isFinite(image[i])) {
                sample[n++] = image[i];
            }
        }
        if (n == 0) {
            return new Window(0, 1);
        }
        Arrays.sort(sample, 0, n);
        // Nearest rank with ties to even, numpy's percentile(method="nearest").
        double lo = sample[(int) Math.rint((n - 1) * (lower / 100))];
        double hi = sample[(int) Math.rint((n - 1) * (upper / 100))];
        return hi > lo ? new Window((lo + hi) / 2, hi - lo) : new Window(lo, 1);
    }

    /** Gray level 0..255 of an image value; NaN is black. */
    public int gray(float value) {
        double t = (value - (level - width / 2)) / width;
        if (!(t > 0)) {
            return 0;
        }
        return t >= 1 ? 255 : (int) Math.round(t * 255);
    }
}
