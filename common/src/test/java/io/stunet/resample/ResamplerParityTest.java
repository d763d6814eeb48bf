package io.stunet.resample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stunet.testing.Python;
import io.stunet.testing.RawFiles;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernels against nnU-Net v1's {@code resample_data_or_seg} run by
 * {@code tools/stunet/reference_preprocess.py} on the same random inputs (skimage resize,
 * scipy map_coordinates).
 */
class ResamplerParityTest {
    private static final String REF = "tools.stunet.reference_preprocess";

    @TempDir
    Path dir;

    @Test
    void cubicResizeMatchesSkimageUpAndDown() {
        int[] shape = {17, 41, 37};
        int[] out = {29, 28, 60};
        float[] data = smoothRandom(shape, 1);
        assertClose(referenceResize(data, shape, out, null), SplineResampler.resize(data, shape, out), 0.01);
    }

    @Test
    void cubicResizeWithUnchangedAxisMatchesSkimage() {
        int[] shape = {9, 50, 33};
        int[] out = {9, 37, 71};
        float[] data = smoothRandom(shape, 2);
        assertClose(referenceResize(data, shape, out, null), SplineResampler.resize(data, shape, out), 0.01);
    }

    @Test
    void cubicResizeOfNoiseMatchesSkimage() {
        int[] shape = {12, 23, 19};
        int[] out = {7, 40, 19};
        float[] data = noise(shape, 3, 1000f);
        assertClose(referenceResize(data, shape, out, null), SplineResampler.resize(data, shape, out), 0.01);
    }

    @Test
    void separateZResizeMatchesNnunetForEveryAxis() {
        int[] shape = {11, 30, 26};
        float[] data = smoothRandom(shape, 4);
        for (int axis = 0; axis < 3; axis++) {
            int[] out = {23, 47, 17};
            assertClose(referenceResize(data, shape, out, axis),
                    SplineResampler.resizeSeparate(data, shape, out, axis), 0.01);
        }
    }

    @Test
    void nearestLabelResampleEqualsResizeSegmentationOrder0() {
        int[] shape = {13, 31, 27};
        short[] labels = blobs(shape, 5, 40);
        int[] out = {30, 17, 54};
        assertArrayEquals(referenceResizeSeg(labels, shape, out, 0, null),
                NearestResampler.resample(labels, shape, out));
    }

    @Test
    void linearLabelResampleEqualsResizeSegmentationOrder1() {
        int[] shape = {13, 31, 27};
        short[] labels = blobs(shape, 6, 300);
        for (int[] out : new int[][] {{30, 17, 54}, {26, 62, 27}, {5, 9, 11}}) {
            assertArrayEquals(referenceResizeSeg(labels, shape, out, 1, null),
                    LinearLabelResampler.resample(labels, shape, out));
        }
    }

    @Test
    void separateZLinearLabelResampleEqualsNnunet() {
        int[] shape = {9, 33, 29};
        short[] labels = blobs(shape, 7, 12);
        for (int axis = 0; axis < 3; axis++) {
            int[] out = {27, 20, 58};
            assertArrayEquals(referenceResizeSeg(labels, shape, out, 1, axis),
                    LinearLabelResampler.resampleSeparate(labels, shape, out, axis));
        }
    }

    private float[] referenceResize(float[] data, int[] shape, int[] out, Integer axis) {
        Path in = dir.resolve("in.f32");
        Path res = dir.resolve("out.f32");
        RawFiles.writeFloats(in, data);
        if (axis == null) {
            Python.module(REF, "resize", "--input", in.toString(), "--shape", RawFiles.csv(shape),
                    "--out-shape", RawFiles.csv(out), "--order", "3", "--output", res.toString());
        } else {
            Python.module(REF, "resize", "--input", in.toString(), "--shape", RawFiles.csv(shape),
                    "--out-shape", RawFiles.csv(out), "--order", "3", "--separate-axis", axis.toString(),
                    "--output", res.toString());
        }
        return RawFiles.readFloats(res);
    }

    private short[] referenceResizeSeg(short[] labels, int[] shape, int[] out, int order, Integer axis) {
        Path in = dir.resolve("in.u16");
        Path res = dir.resolve("out.u16");
        RawFiles.writeShorts(in, labels);
        if (axis == null) {
            Python.module(REF, "resize-seg", "--input", in.toString(), "--shape", RawFiles.csv(shape),
                    "--out-shape", RawFiles.csv(out), "--order", Integer.toString(order), "--output", res.toString());
        } else {
            Python.module(REF, "resize-seg", "--input", in.toString(), "--shape", RawFiles.csv(shape),
                    "--out-shape", RawFiles.csv(out), "--order", Integer.toString(order),
                    "--separate-axis", axis.toString(), "--output", res.toString());
        }
        return RawFiles.readShorts(res);
    }

    static void assertClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, "voxel count");
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs((double) expected[i] - actual[i]));
        }
        assertTrue(worst <= tol, "max abs difference " + worst + " > " + tol);
    }

    /** Sums of a few random sinusoids plus noise: CT-like smooth structure with texture. */
    static float[] smoothRandom(int[] shape, long seed) {
        Random r = new Random(seed);
        double[][] f = new double[4][4];
        for (double[] w : f) {
            for (int i = 0; i < 4; i++) {
                w[i] = r.nextDouble() * 0.6;
            }
        }
        float[] v = new float[shape[0] * shape[1] * shape[2]];
        int n = 0;
        for (int z = 0; z < shape[0]; z++) {
            for (int y = 0; y < shape[1]; y++) {
                for (int x = 0; x < shape[2]; x++) {
                    double s = 0;
                    for (double[] w : f) {
                        s += 300 * Math.sin(w[0] * z + w[1] * y + w[2] * x + w[3] * 10);
                    }
                    v[n++] = (float) (s + 20 * r.nextGaussian());
                }
            }
        }
        return v;
    }

    static float[] noise(int[] shape, long seed, float scale) {
        Random r = new Random(seed);
        float[] v = new float[shape[0] * shape[1] * shape[2]];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (scale * r.nextGaussian());
        }
        return v;
    }

    /** A label map of random boxes, labels up to {@code maxLabel}. */
    static short[] blobs(int[] shape, long seed, int maxLabel) {
        Random r = new Random(seed);
        short[] v = new short[shape[0] * shape[1] * shape[2]];
        for (int b = 0; b < 25; b++) {
            int label = 1 + r.nextInt(maxLabel);
            int[] lo = new int[3];
            int[] hi = new int[3];
            for (int a = 0; a < 3; a++) {
                lo[a] = r.nextInt(shape[a]);
                hi[a] = Math.min(shape[a], lo[a] + 1 + r.nextInt(Math.max(1, shape[a] / 2)));
            }
            for (int z = lo[0]; z < hi[0]; z++) {
                for (int y = lo[1]; y < hi[1]; y++) {
                    for (int x = lo[2]; x < hi[2]; x++) {
                        v[(z * shape[1] + y) * shape[2] + x] = (short) label;
                    }
                }
            }
        }
        return v;
    }
}
