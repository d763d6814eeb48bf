package io.stunet.window;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-patch weights nnU-Net v1 multiplies tile probabilities by ({@code _get_gaussian},
 * sigma = patch / 8): a unit impulse at {@code patch // 2} smoothed with
 * {@code scipy.ndimage.gaussian_filter(mode='constant', truncate=4)}, divided by its maximum,
 * cast to float32, zeros replaced by the smallest non-zero value. For an impulse the separable
 * filter reduces to a product of the three normalized 1-D kernels, evaluated here in float64 in
 * the order scipy applies the axes (z, then y, then x) and with numpy's pairwise kernel sum, so
 * the float32 result matches scipy's. Maps are immutable and cached per patch size.
 */
public final class GaussianImportanceMap {
    private static final Map<String, float[]> CACHE = new ConcurrentHashMap<>();

    private GaussianImportanceMap() {
    }

    /** The (z, y, x) C-order float32 map for {@code patch}; the array is shared, do not modify it. */
    public static float[] of(int[] patch) {
        return CACHE.computeIfAbsent(Arrays.toString(patch), k -> compute(patch));
    }

    /** The weights of a single-tile plan, where nnU-Net applies no Gaussian: all ones. */
    public static float[] ones(int[] patch) {
        return CACHE.computeIfAbsent("ones" + Arrays.toString(patch), k -> {
            float[] w = new float[patch[0] * patch[1] * patch[2]];
            Arrays.fill(w, 1f);
            return w;
        });
    }

    private static float[] compute(int[] patch) {
        double[][] axis = new double[3][];
        for (int a = 0; a < 3; a++) {
            axis[a] = impulseResponse(patch[a], patch[a] / 8.0);
        }
        int n = patch[0] * patch[1] * patch[2];
        double[] v = new double[n];
        double max = 0;
        int i = 0;
        for (int z = 0; z < patch[0]; z++) {
            for (int y = 0; y < patch[1]; y++) {
                double zy = axis[1][y] * axis[0][z];
                for (int x = 0; x < patch[2]; x++) {
                    double g = axis[2][x] * zy;
                    v[i++] = g;
                    if (g > max) {
                        max = g;
                    }
                }
            }
        }
        float[] out = new float[n];
        float minNonZero = Float.MAX_VALUE;
        for (int k = 0; k < n; k++) {
            out[k] = (float) (v[k] / max);
            if (out[k] != 0f && out[k] < minNonZero) {
                minNonZero = out[k];
            }
        }
        for (int k = 0; k < n; k++) {
            if (out[k] == 0f) {
                out[k] = minNonZero;
            }
        }
        return out;
    }

    /**
     * {@code gaussian_filter1d} of a unit impulse at {@code size / 2}, constant (zero) boundary:
     * output[i] is the normalized kernel weight at offset {@code i - size/2}, or 0 beyond the radius.
     */
    private static double[] impulseResponse(int size, double sigma) {
        int radius = (int) (4.0 * sigma + 0.5);
        double[] w = new double[2 * radius + 1];
        double c = -0.5 / (sigma * sigma);
        for (int k = -radius; k <= radius; k++) {
            w[k + radius] = StrictMath.exp(c * ((double) k * k));
        }
        double sum = pairwiseSum(w, 0, w.length);
        for (int k = 0; k < w.length; k++) {
            w[k] = w[k] / sum;
        }
        double[] out = new double[size];
        int center = size / 2;
        for (int i = 0; i < size; i++) {
            int off = i - center;
            out[i] = Math.abs(off) <= radius ? w[off + radius] : 0.0;
        }
        return out;
    }

    /** numpy's pairwise summation (8 partial sums, blocks of 128), so the kernel's normalizer is bit-equal. */
    static double pairwiseSum(double[] a, int from, int n) {
        if (n < 8) {
            double res = 0.0;
            for (int i = 0; i < n; i++) {
                res += a[from + i];
            }
            return res;
        } else if (n <= 128) {
            double[] r = new double[8];
            for (int j = 0; j < 8; j++) {
                r[j] = a[from + j];
            }
            int i;
            for (i = 8; i < n - (n % 8); i += 8) {
                for (int j = 0; j < 8; j++) {
                    r[j] += a[from + i + j];
                }
            }
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) {
                res += a[from + i];
            }
            return res;
        } else {
            int n2 = n / 2;
            n2 -= n2 % 8;
            return pairwiseSum(a, from, n2) + pairwiseSum(a, from + n2, n - n2);
        }
    }
}
