package io.stunet.resample;

/**
 * Order-1 resampling of a label map the way nnU-Net v1's {@code resize_segmentation(seg,
 * shape, order=1)} does it: for every label c in ascending order the one-hot mask is resized
 * with {@code skimage.transform.resize(order=1, mode='edge', clip=True)} and
 * {@code out[resized >= 0.5] = c}, so the largest label whose interpolated mask reaches 0.5
 * wins, and 0 is left where none does. Instead of one pass per label we evaluate, per output
 * voxel, only the labels present at its 2^d interpolation corners (any other label's mask is 0
 * there), summing the corner terms in scipy's order ({@code NI_ZoomShift}: last axis fastest,
 * each term the product of the axis weights taken in axis order) so that the 0.5 test sees
 * the same double as scipy.
 *
 * <p>Labels are unsigned 16-bit values held in {@code short}.
 */
public final class LinearLabelResampler {
    private LinearLabelResampler() {
    }

    /** Interpolation taps along one axis: two clamped source indices and their weights. */
    private record Taps(int[] i0, int[] i1, double[] w0, double[] w1) {
        static Taps of(int in, int out) {
            int[] i0 = new int[out];
            int[] i1 = new int[out];
            double[] w0 = new double[out];
            double[] w1 = new double[out];
            double zoom = (double) in / (double) out;
            for (int k = 0; k < out; k++) {
                double cc = k;
                cc += 0.5;
                cc *= zoom;
                cc -= 0.5;
                double fl = Math.floor(cc);
                long start = (long) fl;
                double x = cc - fl;
                w0[k] = 1.0 - x;
                w1[k] = 1.0 - w0[k];
                i0[k] = (int) Math.max(0, Math.min(in - 1, start));
                i1[k] = (int) Math.max(0, Math.min(in - 1, start + 1));
            }
            return new Taps(i0, i1, w0, w1);
        }
    }

    /** Resamples a (z, y, x) label map to {@code outShape} with the 3-D order-1 rule. */
    public static short[] resample(short[] labels, int[] shape, int[] outShape) {
        Shapes.checkLength(labels.length, shape);
        short[] out = new short[Shapes.voxels(outShape)];
        if (java.util.Arrays.equals(shape, outShape)) {
            System.arraycopy(labels, 0, out, 0, labels.length);
            return out;
        }
        Taps tz = Taps.of(shape[0], outShape[0]);
        Taps ty = Taps.of(shape[1], outShape[1]);
        Taps tx = Taps.of(shape[2], outShape[2]);
        int ny = shape[1];
        int nx = shape[2];
        int oy = outShape[1];
        int ox = outShape[2];
        Parallel.forRange(outShape[0], (from, to) -> {
            int[] lab = new int[8];
            double[] w = new double[8];
            for (int k = from; k < to; k++) {
                int[] zi = {tz.i0[k], tz.i1[k]};
                double[] zw = {tz.w0[k], tz.w1[k]};
                for (int j = 0; j < oy; j++) {
                    int[] yi = {ty.i0[j], ty.i1[j]};
                    double[] yw = {ty.w0[j], ty.w1[j]};
                    int dst = (k * oy + j) * ox;
                    for (int i = 0; i < ox; i++) {
                        int[] xi = {tx.i0[i], tx.i1[i]};
                        double[] xw = {tx.w0[i], tx.w1[i]};
                        int h = 0;
                        for (int a = 0; a < 2; a++) {
                            for (int b = 0; b < 2; b++) {
                                int row = (zi[a] * ny + yi[b]) * nx;
                                double wab = zw[a] * yw[b];
                                for (int c = 0; c < 2; c++) {
                                    lab[h] = labels[row + xi[c]] & 0xFFFF;
                                    w[h] = wab * xw[c];
                                    h++;
                                }
                            }
                        }
                        out[dst + i] = (short) winner(lab, w, 8);
                    }
                }
            }
        });
        return out;
    }

    /**
     * Resamples every slice across {@code axis} in-plane with the 2-D order-1 rule;
     * {@code outShape[axis]} must equal {@code shape[axis]}.
     */
    public static short[] resampleInPlane(short[] labels, int[] shape, int[] outShape, int axis) {
        Shapes.checkLength(labels.length, shape);
        Shapes.checkAxis(axis);
        Shapes.check(outShape);
        if (outShape[axis] != shape[axis]) {
            throw new IllegalArgumentException("in-plane resample cannot change axis " + axis);
        }
        int[] rc = SplineResampler.otherAxes(axis);
        Taps tr = Taps.of(shape[rc[0]], outShape[rc[0]]);
        Taps tc = Taps.of(shape[rc[1]], outShape[rc[1]]);
        int[] is = SplineResampler.strides(shape);
        int[] os = SplineResampler.strides(outShape);
        int orows = outShape[rc[0]];
        int ocols = outShape[rc[1]];
        short[] out = new short[Shapes.voxels(outShape)];
        Parallel.forRange(shape[axis], (from, to) -> {
            int[] lab = new int[4];
            double[] w = new double[4];
            for (int s = from; s < to; s++) {
                int inBase = s * is[axis];
                int outBase = s * os[axis];
                for (int r = 0; r < orows; r++) {
                    int[] ri = {tr.i0[r], tr.i1[r]};
                    double[] rw = {tr.w0[r], tr.w1[r]};
                    for (int c = 0; c < ocols; c++) {
                        int h = 0;
                        for (int a = 0; a < 2; a++) {
                            int row = inBase + ri[a] * is[rc[0]];
                            for (int b = 0; b < 2; b++) {
                                int col = b == 0 ? tc.i0[c] : tc.i1[c];
                                lab[h] = labels[row + col * is[rc[1]]] & 0xFFFF;
                                w[h] = rw[a] * (b == 0 ? tc.w0[c] : tc.w1[c]);
                                h++;
                            }
                        }
                        out[outBase + r * os[rc[0]] + c * os[rc[1]]] = (short) winner(lab, w, 4);
                    }
                }
            }
        });
        return out;
    }

    /**
     * nnU-Net v1's separate-z label resample: {@link #resampleInPlane} across {@code axis},
     * then order 0 along {@code axis} when its length changes.
     */
    public static short[] resampleSeparate(short[] labels, int[] shape, int[] outShape, int axis) {
        Shapes.checkAxis(axis);
        Shapes.check(outShape);
        int[] planeShape = outShape.clone();
        planeShape[axis] = shape[axis];
        short[] inPlane = resampleInPlane(labels, shape, planeShape, axis);
        if (planeShape[axis] == outShape[axis]) {
            return inPlane;
        }
        return NearestResampler.resample(inPlane, planeShape, outShape);
    }

    /** The largest label whose corner terms, summed in corner order, reach 0.5; else 0. */
    private static int winner(int[] lab, double[] w, int n) {
        int first = lab[0];
        boolean uniform = true;
        for (int h = 1; h < n; h++) {
            if (lab[h] != first) {
                uniform = false;
                break;
            }
        }
        if (uniform) {
            double t = 0.0;
            for (int h = 0; h < n; h++) {
                t += w[h];
            }
            return t >= 0.5 ? first : 0;
        }
        int best = -1;
        for (int h = 0; h < n; h++) {
            int l = lab[h];
            if (l <= best || seenBefore(lab, h)) {
                continue;
            }
            double t = 0.0;
            for (int g = h; g < n; g++) {
                if (lab[g] == l) {
                    t += w[g];
                }
            }
            if (t >= 0.5) {
                best = l;
            }
        }
        return Math.max(best, 0);
    }

    private static boolean seenBefore(int[] lab, int h) {
        for (int g = 0; g < h; g++) {
            if (lab[g] == lab[h]) {
                return true;
            }
        }
        return false;
    }
}
