package io.stunet.tiling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stunet.error.StunetException;
import io.stunet.simd.Simd;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SegmentationHeadTest {
    private static final int CLASSES = 13;
    private static final int CHANNELS = 5;

    private static float[] random(SplittableRandom r, int n, double spread) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((r.nextDouble() * 2 - 1) * spread);
        }
        return a;
    }

    /** The same contribution computed in double from the definition: softmax of the head's logits. */
    private static double[] expected(SegmentationHead head, float[] features, int chunk, int src, float[] g, int g0, int n,
                                     float scale, float[] weights, float[] bias) {
        double[] out = new double[CLASSES * n];
        for (int i = 0; i < n; i++) {
            double[] logit = new double[CLASSES];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < CLASSES; c++) {
                logit[c] = bias[c];
                for (int k = 0; k < CHANNELS; k++) {
                    logit[c] += (double) weights[c * CHANNELS + k] * features[k * chunk + src + i];
                }
                max = Math.max(max, logit[c]);
            }
            double sum = 0;
            for (int c = 0; c < CLASSES; c++) {
                sum += Math.exp(logit[c] - max);
            }
            for (int c = 0; c < CLASSES; c++) {
                out[c * n + i] = scale * Math.exp(logit[c] - max) / sum * g[g0 + i];
            }
        }
        return out;
    }

    @Test
    void scalarAndSimdKernelsMatchTheDefinitionForEveryRowLengthAndOffset() {
        SplittableRandom r = new SplittableRandom(42);
        float[] weights = random(r, CLASSES * CHANNELS, 2);
        float[] bias = random(r, CLASSES, 1);
        SegmentationHead head = new SegmentationHead(CLASSES, CHANNELS, weights, bias);
        int chunk = 97;
        float[] features = random(r, CHANNELS * chunk, 3);
        float[] g = random(r, 200, 1);
        int stride = 60;
        for (int n = 1; n <= 37; n++) {
            int src = n % 7;
            int out = 3 + n % 5;
            int g0 = 11 + n;
            float scale = 0.125f;
            double[] want = expected(head, features, chunk, src, g, g0, n, scale, weights, bias);
            float[] previous = null;
            for (boolean simd : Simd.available() ? new boolean[] {false, true} : new boolean[] {false}) {
                float[] row = new float[CLASSES * stride];
                java.util.Arrays.fill(row, 0.5f);
                head.rows(features, chunk, scale, simd).addRow(row, stride, out, src, g, g0, n);
                for (int c = 0; c < CLASSES; c++) {
                    for (int x = 0; x < stride; x++) {
                        int i = x - out;
                        double w = 0.5 + (i >= 0 && i < n ? want[c * n + i] : 0);
                        assertEquals(w, row[c * stride + x], 2e-6, "n=" + n + " c=" + c + " x=" + x + " simd=" + simd);
                    }
                }
                if (previous != null) {
                    // Same IEEE operations in the same order (FastExp, not Math.exp): same bits.
                    assertArrayEquals(previous, row, "n=" + n);
                }
                previous = row;
            }
        }
    }

    @Test
    void simdKernelGivesTheSameBitsWhereverAVoxelSitsInTheRow() {
        SplittableRandom r = new SplittableRandom(7);
        SegmentationHead head = new SegmentationHead(CLASSES, CHANNELS, random(r, CLASSES * CHANNELS, 2), random(r, CLASSES, 1));
        int chunk = 64;
        float[] features = random(r, CHANNELS * chunk, 3);
        float[] g = new float[64];
        java.util.Arrays.fill(g, 1f);
        // Voxel 20 of the chunk, reached as the first, a middle and the tail voxel of rows of different lengths.
        float[][] seen = new float[3][];
        int[][] runs = {{20, 1}, {13, 20}, {5, 16}};
        for (int t = 0; t < runs.length; t++) {
            int src = runs[t][0], n = runs[t][1];
            float[] row = new float[CLASSES * 64];
            head.rows(features, chunk, 1f).addRow(row, 64, src, src, g, src, n);
            seen[t] = new float[CLASSES];
            for (int c = 0; c < CLASSES; c++) {
                seen[t][c] = row[c * 64 + 20];
            }
        }
        assertArrayEquals(seen[0], seen[1]);
        assertArrayEquals(seen[0], seen[2]);
        assertTrue(seen[0][0] > 0);
    }

    @Test
    void fastExpIsWithinTwoUlpsOfExpAndMatchesItsSimdForm() {
        SplittableRandom r = new SplittableRandom(11);
        float[] xs = new float[4096];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) (r.nextDouble() * 170 - 87);
        }
        xs[0] = 0f;
        xs[1] = -87f;
        xs[2] = 88f;
        for (float x : xs) {
            float want = (float) Math.exp(x);
            float got = FastExp.exp(x);
            assertTrue(Math.abs(got - want) <= 2 * Math.ulp(want), "exp(" + x + ") = " + got + ", want " + want);
        }
        assertEquals(1f, FastExp.exp(0f));
        assertTrue(FastExp.exp(-1000f) > 0f && FastExp.exp(-1000f) < 1.2e-38f, "clamped, never 0 or subnormal");
        if (Simd.available()) {
            assertArrayEquals(VectorExp.scalar(xs), VectorExp.simd(xs));
        }
    }

    /** Kept in its own class so that the Vector API is only touched when it is present. */
    static final class VectorExp {
        static float[] scalar(float[] xs) {
            float[] out = new float[xs.length];
            for (int i = 0; i < xs.length; i++) {
                out[i] = FastExp.exp(xs[i]);
            }
            return out;
        }

        static float[] simd(float[] xs) {
            var s = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
            float[] out = new float[xs.length];
            for (int i = 0; i < xs.length; i += s.length()) {
                VectorHeadRows.exp(jdk.incubator.vector.FloatVector.fromArray(s, xs, i)).intoArray(out, i);
            }
            return out;
        }
    }

    @Test
    void headOfTheWrongShapeIsRefused() {
        assertThrows(StunetException.class, () -> new SegmentationHead(3, 2, new float[5], new float[3]));
        assertThrows(StunetException.class, () -> new SegmentationHead(3, 2, new float[6], new float[2]));
    }
}
