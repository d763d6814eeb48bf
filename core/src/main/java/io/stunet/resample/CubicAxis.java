package io.stunet.resample;

/**
 * One axis of scipy's {@code zoom(order=3, mode='nearest', grid_mode=True)}: the input line
 * is padded with 12 copies of each edge voxel, turned into cubic B-spline coefficients with
 * the mirror-boundary recursive prefilter, and sampled at
 * {@code src = (dst + 0.5) * in / out - 0.5} (shifted by the 12 pad voxels). The coordinate
 * and weight arithmetic follows {@code NI_ZoomShift} and {@code get_spline_interpolation_weights}
 * operation by operation; the prefilter's mirror initialisation is truncated once the pole's
 * powers fall below double precision, which changes nothing representable.
 *
 * <p>Instances are immutable plans for one {@code (in, out)} pair and are shared by threads;
 * the scratch arrays are supplied by the caller.
 */
final class CubicAxis {
    /** Edge voxels scipy pads on each side before prefiltering ({@code _prepad_for_spline_filter}). */
    static final int PAD = 12;
    /** The single pole of the cubic B-spline prefilter, sqrt(3) - 2. */
    private static final double POLE = -0.267949192431122706472553658494127633;
    private static final double GAIN = (1.0 - POLE) * (1.0 - 1.0 / POLE);

    final int in;
    final int out;
    final int padded;
    /** First of the four coefficient taps of each output sample, in padded coordinates. */
    final int[] start;
    /** Four weights per output sample. */
    final double[] weights;

    CubicAxis(int in, int out) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("axis lengths must be positive: " + in + " -> " + out);
        }
        this.in = in;
        this.out = out;
        this.padded = in + 2 * PAD;
        this.start = new int[out];
        this.weights = new double[4 * out];
        double zoom = (double) in / (double) out;
        for (int k = 0; k < out; k++) {
            double cc = k;
            cc += 0.5;
            cc *= zoom;
            cc -= 0.5;
            cc += PAD;
            double fl = Math.floor(cc);
            start[k] = (int) fl - 1;
            double x = cc - fl;
            double y = x;
            double z = 1.0 - x;
            double w1 = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
            double w2 = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
            double w0 = z * z * z / 6.0;
            double w3 = 1.0;
            w3 -= w0;
            w3 -= w1;
            w3 -= w2;
            weights[4 * k] = w0;
            weights[4 * k + 1] = w1;
            weights[4 * k + 2] = w2;
            weights[4 * k + 3] = w3;
        }
    }

    /**
     * Resamples one contiguous line: {@code src[srcOff .. srcOff+in)} to
     * {@code dst[dstOff .. dstOff+out)}; {@code pad} must hold {@link #padded} doubles.
     */
    void resampleLine(double[] src, int srcOff, double[] pad, double[] dst, int dstOff) {
        double first = src[srcOff];
        double last = src[srcOff + in - 1];
        for (int i = 0; i < PAD; i++) {
            pad[i] = first;
            pad[PAD + in + i] = last;
        }
        System.arraycopy(src, srcOff, pad, PAD, in);
        prefilter(pad, padded);
        for (int k = 0; k < out; k++) {
            int s = start[k];
            int w = 4 * k;
            dst[dstOff + k] = pad[s] * weights[w] + pad[s + 1] * weights[w + 1]
                    + pad[s + 2] * weights[w + 2] + pad[s + 3] * weights[w + 3];
        }
    }

    /** Same as {@link #resampleLine(double[], int, double[], double[], int)} for float input. */
    void resampleLine(float[] src, int srcOff, double[] pad, double[] dst, int dstOff) {
        double first = src[srcOff];
        double last = src[srcOff + in - 1];
        for (int i = 0; i < PAD; i++) {
            pad[i] = first;
            pad[PAD + in + i] = last;
        }
        for (int i = 0; i < in; i++) {
            pad[PAD + i] = src[srcOff + i];
        }
        prefilter(pad, padded);
        for (int k = 0; k < out; k++) {
            int s = start[k];
            int w = 4 * k;
            dst[dstOff + k] = pad[s] * weights[w] + pad[s + 1] * weights[w + 1]
                    + pad[s + 2] * weights[w + 2] + pad[s + 3] * weights[w + 3];
        }
    }

    /**
     * Resamples along the row index of a row-major {@code rows x cols} block, all columns at
     * once (the recursion runs over whole rows, so memory access stays contiguous).
     * {@code src} has {@code in} rows, {@code dst} gets {@code out} rows; {@code pad} must hold
     * {@code padded * cols} doubles.
     */
    void resampleRows(double[] src, int cols, double[] pad, double[] dst) {
        for (int i = 0; i < PAD; i++) {
            System.arraycopy(src, 0, pad, i * cols, cols);
            System.arraycopy(src, (in - 1) * cols, pad, (PAD + in + i) * cols, cols);
        }
        System.arraycopy(src, 0, pad, PAD * cols, in * cols);
        prefilterRows(pad, padded, cols);
        for (int k = 0; k < out; k++) {
            int s = start[k] * cols;
            int w = 4 * k;
            double w0 = weights[w];
            double w1 = weights[w + 1];
            double w2 = weights[w + 2];
            double w3 = weights[w + 3];
            int o = k * cols;
            for (int c = 0; c < cols; c++) {
                dst[o + c] = pad[s + c] * w0 + pad[s + cols + c] * w1
                        + pad[s + 2 * cols + c] * w2 + pad[s + 3 * cols + c] * w3;
            }
        }
    }

    /** In-place cubic B-spline prefilter of {@code c[0..n)} with mirror boundaries (n >= 2). */
    static void prefilter(double[] c, int n) {
        for (int i = 0; i < n; i++) {
            c[i] *= GAIN;
        }
        double zn1 = Math.pow(POLE, n - 1);
        double sum = c[0] + zn1 * c[n - 1];
        double zi = POLE;
        for (int i = 1; i < n - 1 && Math.abs(zi) > 1e-20; i++) {
            sum += zi * (c[i] + zn1 * c[n - 1 - i]);
            zi *= POLE;
        }
        c[0] = sum / (1.0 - zn1 * zn1);
        for (int i = 1; i < n; i++) {
            c[i] += POLE * c[i - 1];
        }
        c[n - 1] = POLE / (POLE * POLE - 1.0) * (POLE * c[n - 2] + c[n - 1]);
        for (int i = n - 2; i >= 0; i--) {
            c[i] = POLE * (c[i + 1] - c[i]);
        }
    }

    /** {@link #prefilter(double[], int)} applied to every column of a row-major {@code n x cols} block. */
    static void prefilterRows(double[] c, int n, int cols) {
        int total = n * cols;
        for (int i = 0; i < total; i++) {
            c[i] *= GAIN;
        }
        double zn1 = Math.pow(POLE, n - 1);
        int lastRow = (n - 1) * cols;
        for (int col = 0; col < cols; col++) {
            c[col] += zn1 * c[lastRow + col];
        }
        double zi = POLE;
        for (int i = 1; i < n - 1 && Math.abs(zi) > 1e-20; i++) {
            int r = i * cols;
            int m = (n - 1 - i) * cols;
            for (int col = 0; col < cols; col++) {
                c[col] += zi * (c[r + col] + zn1 * c[m + col]);
            }
            zi *= POLE;
        }
        double norm = 1.0 - zn1 * zn1;
        for (int col = 0; col < cols; col++) {
            c[col] /= norm;
        }
        for (int i = 1; i < n; i++) {
            int r = i * cols;
            int p = r - cols;
            for (int col = 0; col < cols; col++) {
                c[r + col] += POLE * c[p + col];
            }
        }
        double anti = POLE / (POLE * POLE - 1.0);
        int prev = (n - 2) * cols;
        for (int col = 0; col < cols; col++) {
            c[lastRow + col] = anti * (POLE * c[prev + col] + c[lastRow + col]);
        }
        for (int i = n - 2; i >= 0; i--) {
            int r = i * cols;
            int nx = r + cols;
            for (int col = 0; col < cols; col++) {
                c[r + col] = POLE * (c[nx + col] - c[r + col]);
            }
        }
    }
}
