package io.stunet.tiling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stunet.error.StunetException;
import io.stunet.simd.Simd;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SegmentationHeadTest {
    private static float[] random(SplittableRandom r, int n, double spread) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((r.nextDouble() * 2 - 1) * spread);
        }
        return a;
    }

    /** The same contribution computed in double from the definition: softmax of the head's logits. */
    private static double[] expected(int classes, int channels, float[] features, int stride, int base, int src,
                                     float[] g, int g0, int n, float scale, float[] weights, float[] bias) {
        double[] out = new double[classes * n];
        for (int i = 0; i < n; i++) {
            double[] logit = new double[classes];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                logit[c] = bias[c];
                for (int k = 0; k < channels; k++) {
                    logit[c] += (double) weights[c * channels + k] * features[base + k * stride + src + i];
                }
                max = Math.max(max, logit[c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logit[c] - max);
            }
            for (int c = 0; c < classes; c++) {
                out[i * classes + c] = scale * Math.exp(logit[c] - max) / sum * g[g0 + i];
            }
        }
        return out;
    }

    /**
     * Class counts below, at and above whole vectors and past one register block of seven vectors;
     * features channel-major with a channel stride and base offset, in a heap and a direct buffer.
     */
    @Test
    void scalarAndSimdKernelsMatchTheDefinitionAndEachOtherBitForBit() {
        for (int classes : new int[] {1, 5, 8, 13, 57, 105}) {
            SplittableRandom r = new SplittableRandom(classes);
            int channels = 1 + classes % 6;
            float[] weights = random(r, classes * channels, 2);
            float[] bias = random(r, classes, 1);
            SegmentationHead head = new SegmentationHead(classes, channels, weights, bias);
            int voxels = 61;
            int stride = voxels + 3;
            int base = 2;
            float[] features = random(r, base + channels * stride, 3);
            FloatBuffer direct = ByteBuffer.allocateDirect(4 * features.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
            direct.put(features).flip();
            float[] g = random(r, 100, 1);
            int cellVoxels = 40;
            for (int n : new int[] {1, 7, 16, 29}) {
                int src = n % 7;
                int out = n == 16 ? 8 : 3 + n % 5; // 16 at 8: two whole groups of the cell
                int g0 = 11 + n;
                float scale = 0.125f;
                double[] want = expected(classes, channels, features, stride, base, src, g, g0, n, scale, weights, bias);
                float[] previous = null;
                for (int kernel = 0; kernel < (Simd.available() ? 4 : 2); kernel++) {
                    boolean simd = kernel >= 2;
                    FloatBuffer in = kernel % 2 == 0 ? FloatBuffer.wrap(features) : direct;
                    float[] cell = new float[classes * cellVoxels];
                    Arrays.fill(cell, 0.5f);
                    head.rows(in, stride, base, scale, simd).addRow(cell, out, src, g, g0, n);
                    for (int x = 0; x < cellVoxels; x++) {
                        for (int c = 0; c < classes; c++) {
                            int i = x - out;
                            double w = 0.5 + (i >= 0 && i < n ? want[i * classes + c] : 0);
                            assertEquals(w, cell[CellLayout.index(cellVoxels, classes, x, c)], 2e-6,
                                    "classes=" + classes + " n=" + n + " c=" + c + " x=" + x + " simd=" + simd);
                        }
                    }
                    if (previous != null) {
                        // Same IEEE operations in the same order (FastExp, the even and odd class sums): same bits.
                        assertArrayEquals(previous, cell, "classes=" + classes + " n=" + n);
                    }
                    previous = cell;
                }
            }
        }
    }

    /**
     * A tile row across several cells in one call, as the accumulator makes it: cells with and
     * without whole groups and tails, runs starting inside a group, a single-voxel cell. The SIMD
     * kernel packs the voxels that are not a whole group of their cell into shared lane groups;
     * every cell must still get the same bits as the scalar kernel gives segment by segment, and
     * voxels outside the runs must stay untouched.
     */
    @Test
    void rowAcrossSeveralCellsGivesTheSameBitsAsCellByCell() {
        int[][] layouts = {
            // {cell width, first voxel, voxels} per segment
            {58, 0, 58, 58, 0, 58, 12, 0, 12},
            {40, 3, 37, 5, 0, 5, 1, 0, 1, 16, 0, 9},
            {64, 0, 64, 64, 0, 64},
            {7, 2, 5, 9, 0, 9, 23, 0, 23, 3, 0, 3},
        };
        for (int classes : new int[] {1, 8, 13, 105}) {
            SplittableRandom r = new SplittableRandom(31 + classes);
            int channels = 1 + classes % 5;
            SegmentationHead head = new SegmentationHead(classes, channels, random(r, classes * channels, 2), random(r, classes, 1));
            for (int[] layout : layouts) {
                int count = layout.length / 3;
                int total = 0;
                for (int s = 0; s < count; s++) {
                    total += layout[3 * s + 2];
                }
                int stride = total + 5;
                int src = 3;
                float[] features = random(r, src + channels * stride, 3);
                float[] g = random(r, total + 20, 1);
                int g0 = 7;
                float[][] want = new float[count][];
                float[][] got = new float[count][];
                int[] out = new int[count];
                int[] n = new int[count];
                for (int s = 0, off = 0; s < count; off += n[s], s++) {
                    want[s] = random(r, classes * layout[3 * s], 1);
                    got[s] = want[s].clone();
                    out[s] = layout[3 * s + 1];
                    n[s] = layout[3 * s + 2];
                    head.rows(FloatBuffer.wrap(features), stride, 0, 0.25f, false)
                            .addRow(want[s], out[s], src + off, g, g0 + off, n[s]);
                }
                for (boolean simd : Simd.available() ? new boolean[] {false, true} : new boolean[] {false}) {
                    float[][] cells = new float[count][];
                    for (int s = 0; s < count; s++) {
                        cells[s] = got[s].clone();
                    }
                    head.rows(FloatBuffer.wrap(features), stride, 0, 0.25f, simd).addRow(cells, out, n, count, src, g, g0);
                    for (int s = 0; s < count; s++) {
                        assertArrayEquals(want[s], cells[s], "classes=" + classes + " layout=" + Arrays.toString(layout)
                                + " segment=" + s + " simd=" + simd);
                    }
                }
            }
        }
    }

    /**
     * A confident head (logit gaps in the hundreds) and Gaussian weights down to 3.8e-11, as at a
     * patch's corners: classes far below the winner contribute exactly 0 and no sum is subnormal,
     * in both kernels, which still agree bit for bit and with the definition.
     */
    @Test
    void confidentHeadGivesZeroOrNormalSumsAndBothKernelsAgree() {
        int classes = 105;
        int channels = 4;
        SplittableRandom r = new SplittableRandom(5);
        float[] weights = random(r, classes * channels, 60);
        float[] bias = random(r, classes, 30);
        SegmentationHead head = new SegmentationHead(classes, channels, weights, bias);
        int n = 37;
        float[] features = random(r, channels * n, 3);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) Math.exp(-24.0 * i / (n - 1));
        }
        double[] want = expected(classes, channels, features, n, 0, 0, g, 0, n, 0.125f, weights, bias);
        float[] previous = null;
        int zeros = 0;
        for (boolean simd : Simd.available() ? new boolean[] {false, true} : new boolean[] {false}) {
            float[] cell = new float[classes * n];
            head.rows(FloatBuffer.wrap(features), n, 0, 0.125f, simd).addRow(cell, 0, 0, g, 0, n);
            zeros = 0;
            for (int c = 0; c < classes; c++) {
                for (int x = 0; x < n; x++) {
                    float v = cell[CellLayout.index(n, classes, x, c)];
                    assertTrue(v == 0f || v >= Float.MIN_NORMAL, "subnormal or negative sum " + v);
                    // Logits in the hundreds carry float32 rounding of about 3e-5 (relative tolerance);
                    // a flushed class is off by at most e^FLUSH_BELOW times the voxel's factor.
                    double flushed = Math.exp(SegmentationHead.FLUSH_BELOW) * 0.125 * g[x];
                    assertEquals(want[x * classes + c], v, 1e-4 * want[x * classes + c] + flushed);
                    zeros += v == 0f ? 1 : 0;
                }
            }
            if (previous != null) {
                assertArrayEquals(previous, cell);
            }
            previous = cell;
        }
        assertTrue(zeros > classes * n / 2, "most classes are flushed for such a head, got " + zeros + " zeros");
    }

    @Test
    void fastExpIsWithinTwoUlpsOfExpAndTheSimdKernelComputesItBitForBit() {
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
            // The kernels' arguments: a logit minus the voxel's max, so at most 0; below FLUSH_BELOW they give 0.
            float[] shifted = new float[xs.length];
            for (int i = 0; i < xs.length; i++) {
                shifted[i] = (float) (r.nextDouble() * -60);
            }
            shifted[0] = 0f;
            shifted[1] = -0f;
            shifted[2] = SegmentationHead.FLUSH_BELOW;
            shifted[3] = Math.nextDown(SegmentationHead.FLUSH_BELOW);
            shifted[4] = Float.NaN;
            float[] scalar = VectorExp.scalar(shifted);
            assertEquals(0f, scalar[3]);
            assertTrue(scalar[2] > 0f);
            assertArrayEquals(scalar, VectorExp.simd(shifted));
        }
    }

    /** Kept in its own class so that the Vector API is only touched when it is present. */
    static final class VectorExp {
        /** What {@link ScalarHeadRows} computes for a shifted logit. */
        static float[] scalar(float[] xs) {
            float[] out = new float[xs.length];
            for (int i = 0; i < xs.length; i++) {
                out[i] = xs[i] < SegmentationHead.FLUSH_BELOW ? 0f : FastExp.exp(xs[i]);
            }
            return out;
        }

        /** Through the kernel's own loop: xs as one group of eight voxels and xs.length / 8 classes (an even count), shift 0. */
        static float[] simd(float[] xs) {
            int classes = xs.length / 8;
            SegmentationHead head = new SegmentationHead(classes, 1, new float[classes], new float[classes]);
            float[] out = xs.clone();
            new VectorHeadRows(head, FloatBuffer.wrap(new float[1]), 1, 0, 1f).expShifted(out, 0, new float[8], new float[8], new float[8], new float[(classes + 1) * 8]);
            return out;
        }
    }

    @Test
    void headOfTheWrongShapeIsRefused() {
        assertThrows(StunetException.class, () -> new SegmentationHead(3, 2, new float[5], new float[3]));
        assertThrows(StunetException.class, () -> new SegmentationHead(3, 2, new float[6], new float[2]));
    }
}
