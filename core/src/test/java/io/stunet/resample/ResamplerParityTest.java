package io.stunet.resample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stunet.testing.RawFiles;
import io.stunet.testing.ReferenceBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernels against nnU-Net v1's {@code resample_data_or_seg} run by
 * {@code tools/stunet/reference_preprocess.py} on the same random inputs (skimage resize,
 * scipy map_coordinates).
 */
class ResamplerParityTest {
    @TempDir
    static Path dir;

    private static final Map<String, float[]> DATA_IN = new HashMap<>();
    private static final Map<String, short[]> LABELS_IN = new HashMap<>();
    private static final Map<String, int[][]> SHAPES = new HashMap<>();

    /** Every case's input is generated here and the reference runs them all in one process. */
    @BeforeAll
    static void runReference() {
        ReferenceBatch batch = new ReferenceBatch(dir);
        data(batch, "updown", smoothRandom(new int[] {17, 41, 37}, 1), new int[] {17, 41, 37}, new int[] {29, 28, 60}, null);
        data(batch, "samez", smoothRandom(new int[] {9, 50, 33}, 2), new int[] {9, 50, 33}, new int[] {9, 37, 71}, null);
        data(batch, "noise", noise(new int[] {12, 23, 19}, 3, 1000f), new int[] {12, 23, 19}, new int[] {7, 40, 19}, null);
        float[] sep = smoothRandom(new int[] {11, 30, 26}, 4);
        for (int axis = 0; axis < 3; axis++) {
            data(batch, "sep" + axis, sep, new int[] {11, 30, 26}, new int[] {23, 47, 17}, axis);
        }
        labels(batch, "nearest", blobs(new int[] {13, 31, 27}, 5, 40), new int[] {13, 31, 27}, new int[] {30, 17, 54}, 0, null);
        short[] lin = blobs(new int[] {13, 31, 27}, 6, 300);
        int[][] linOut = {{30, 17, 54}, {26, 62, 27}, {5, 9, 11}};
        for (int i = 0; i < linOut.length; i++) {
            labels(batch, "linear" + i, lin, new int[] {13, 31, 27}, linOut[i], 1, null);
        }
        short[] sepLabels = blobs(new int[] {9, 33, 29}, 7, 12);
        for (int axis = 0; axis < 3; axis++) {
            labels(batch, "linsep" + axis, sepLabels, new int[] {9, 33, 29}, new int[] {27, 20, 58}, 1, axis);
        }
        batch.run();
    }

    @Test
    void cubicResizeMatchesSkimageUpAndDown() {
        assertClose(refData("updown"), SplineResampler.resize(DATA_IN.get("updown"), in("updown"), out("updown")), 0.01);
    }

    @Test
    void cubicResizeWithUnchangedAxisMatchesSkimage() {
        assertClose(refData("samez"), SplineResampler.resize(DATA_IN.get("samez"), in("samez"), out("samez")), 0.01);
    }

    @Test
    void cubicResizeOfNoiseMatchesSkimage() {
        assertClose(refData("noise"), SplineResampler.resize(DATA_IN.get("noise"), in("noise"), out("noise")), 0.01);
    }

    @Test
    void separateZResizeMatchesNnunetForEveryAxis() {
        for (int axis = 0; axis < 3; axis++) {
            String k = "sep" + axis;
            assertClose(refData(k), SplineResampler.resizeSeparate(DATA_IN.get(k), in(k), out(k), axis), 0.01);
        }
    }

    @Test
    void nearestLabelResampleEqualsResizeSegmentationOrder0() {
        assertArrayEquals(refLabels("nearest"),
                NearestResampler.resample(LABELS_IN.get("nearest"), in("nearest"), out("nearest")));
    }

    @Test
    void linearLabelResampleEqualsResizeSegmentationOrder1() {
        for (int i = 0; i < 3; i++) {
            String k = "linear" + i;
            assertArrayEquals(refLabels(k), LinearLabelResampler.resample(LABELS_IN.get(k), in(k), out(k)));
        }
    }

    @Test
    void separateZLinearLabelResampleEqualsNnunet() {
        for (int axis = 0; axis < 3; axis++) {
            String k = "linsep" + axis;
            assertArrayEquals(refLabels(k), LinearLabelResampler.resampleSeparate(LABELS_IN.get(k), in(k), out(k), axis));
        }
    }

    private static void data(ReferenceBatch batch, String key, float[] values, int[] shape, int[] out, Integer axis) {
        DATA_IN.put(key, values);
        SHAPES.put(key, new int[][] {shape, out});
        Path in = dir.resolve(key + ".in.f32");
        RawFiles.writeFloats(in, values);
        List<String> args = new ArrayList<>(List.of("resize", "--input", in.toString(), "--shape", RawFiles.csv(shape),
                "--out-shape", RawFiles.csv(out), "--order", "3", "--output", dir.resolve(key + ".out.f32").toString()));
        if (axis != null) {
            args.addAll(List.of("--separate-axis", axis.toString()));
        }
        batch.add(args.toArray(new String[0]));
    }

    private static void labels(ReferenceBatch batch, String key, short[] values, int[] shape, int[] out, int order,
                               Integer axis) {
        LABELS_IN.put(key, values);
        SHAPES.put(key, new int[][] {shape, out});
        Path in = dir.resolve(key + ".in.u16");
        RawFiles.writeShorts(in, values);
        List<String> args = new ArrayList<>(List.of("resize-seg", "--input", in.toString(), "--shape",
                RawFiles.csv(shape), "--out-shape", RawFiles.csv(out), "--order", Integer.toString(order),
                "--output", dir.resolve(key + ".out.u16").toString()));
        if (axis != null) {
            args.addAll(List.of("--separate-axis", axis.toString()));
        }
        batch.add(args.toArray(new String[0]));
    }

    private static int[] in(String key) {
        return SHAPES.get(key)[0];
    }

    private static int[] out(String key) {
        return SHAPES.get(key)[1];
    }

    private static float[] refData(String key) {
        return RawFiles.readFloats(dir.resolve(key + ".out.f32"));
    }

    private static short[] refLabels(String key) {
        return RawFiles.readShorts(dir.resolve(key + ".out.u16"));
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
