package io.stunet.resample;

/**
 * {@code numpy.transpose(a, perm)} for flat (z, y, x) buffers: output axis {@code i} is input
 * axis {@code perm[i]}. This is nnU-Net's {@code transpose_forward} / {@code transpose_backward}.
 * The identity permutation returns the input buffer itself, not a copy.
 */
public final class AxisPermutation {
    private AxisPermutation() {
    }

    /** The shape after permuting. */
    public static int[] permute(int[] shape, int[] perm) {
        check(perm);
        return new int[] {shape[perm[0]], shape[perm[1]], shape[perm[2]]};
    }

    /** Per-axis values (spacings) after permuting. */
    public static double[] permute(double[] values, int[] perm) {
        check(perm);
        return new double[] {values[perm[0]], values[perm[1]], values[perm[2]]};
    }

    /** The permutation that undoes {@code perm} ({@code argsort}). */
    public static int[] inverse(int[] perm) {
        check(perm);
        int[] inv = new int[3];
        for (int i = 0; i < 3; i++) {
            inv[perm[i]] = i;
        }
        return inv;
    }

    public static boolean isIdentity(int[] perm) {
        check(perm);
        return perm[0] == 0 && perm[1] == 1 && perm[2] == 2;
    }

    public static float[] apply(float[] data, int[] shape, int[] perm) {
        Shapes.checkLength(data.length, shape);
        if (isIdentity(perm)) {
            return data;
        }
        float[] out = new float[data.length];
        int[] o = permute(shape, perm);
        int[] s = inStrides(shape, perm);
        Parallel.forRange(o[0], (from, to) -> {
            for (int a = from; a < to; a++) {
                for (int b = 0; b < o[1]; b++) {
                    int dst = (a * o[1] + b) * o[2];
                    int src = a * s[0] + b * s[1];
                    for (int c = 0; c < o[2]; c++) {
                        out[dst + c] = data[src + c * s[2]];
                    }
                }
            }
        });
        return out;
    }

    public static short[] apply(short[] data, int[] shape, int[] perm) {
        Shapes.checkLength(data.length, shape);
        if (isIdentity(perm)) {
            return data;
        }
        short[] out = new short[data.length];
        int[] o = permute(shape, perm);
        int[] s = inStrides(shape, perm);
        Parallel.forRange(o[0], (from, to) -> {
            for (int a = from; a < to; a++) {
                for (int b = 0; b < o[1]; b++) {
                    int dst = (a * o[1] + b) * o[2];
                    int src = a * s[0] + b * s[1];
                    for (int c = 0; c < o[2]; c++) {
                        out[dst + c] = data[src + c * s[2]];
                    }
                }
            }
        });
        return out;
    }

    public static byte[] apply(byte[] data, int[] shape, int[] perm) {
        Shapes.checkLength(data.length, shape);
        if (isIdentity(perm)) {
            return data;
        }
        byte[] out = new byte[data.length];
        int[] o = permute(shape, perm);
        int[] s = inStrides(shape, perm);
        Parallel.forRange(o[0], (from, to) -> {
            for (int a = from; a < to; a++) {
                for (int b = 0; b < o[1]; b++) {
                    int dst = (a * o[1] + b) * o[2];
                    int src = a * s[0] + b * s[1];
                    for (int c = 0; c < o[2]; c++) {
                        out[dst + c] = data[src + c * s[2]];
                    }
                }
            }
        });
        return out;
    }

    private static int[] inStrides(int[] shape, int[] perm) {
        int[] st = SplineResampler.strides(shape);
        return new int[] {st[perm[0]], st[perm[1]], st[perm[2]]};
    }

    private static void check(int[] perm) {
        if (perm == null || perm.length != 3) {
            throw new IllegalArgumentException("permutation must have three axes");
        }
        boolean[] seen = new boolean[3];
        for (int p : perm) {
            if (p < 0 || p > 2 || seen[p]) {
                throw new IllegalArgumentException("not a permutation of (0, 1, 2)");
            }
            seen[p] = true;
        }
    }
}
