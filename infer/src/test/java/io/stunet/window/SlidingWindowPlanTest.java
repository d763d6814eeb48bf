package io.stunet.window;

import io.stunet.testing.Python;
import io.stunet.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plan, steps and Gaussian against nnU-Net v1's own functions run by the Python reference. */
class SlidingWindowPlanTest {
    @TempDir
    Path dir;

    private static Path script() {
        return TestData.file("tools/stunet/reference_window.py");
    }

    private static int[] ints(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": \\[([^\\]]*)\\]").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return parse(m.group(1));
    }

    private static int[] parse(String list) {
        String t = list.trim();
        if (t.isEmpty()) {
            return new int[0];
        }
        String[] parts = t.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Integer.parseInt(parts[i].trim());
        }
        return out;
    }

    private static int[][] steps(String json) {
        Matcher m = Pattern.compile("\"steps\": \\[(.*)\\]\\}").matcher(json);
        assertTrue(m.find(), json);
        Matcher inner = Pattern.compile("\\[([^\\]]*)\\]").matcher(m.group(1));
        List<int[]> out = new ArrayList<>();
        while (inner.find()) {
            out.add(parse(inner.group(1)));
        }
        return out.toArray(int[][]::new);
    }

    @Test
    void stepsAndPaddingEqualNnunetV1() throws IOException {
        int[][][] cases = {
                {{224, 202, 244}, {128, 128, 128}},
                {{1000, 512, 512}, {128, 128, 128}},
                {{110, 64, 65}, {64, 64, 64}},
                {{37, 45, 29}, {16, 24, 20}},
                {{9, 13, 20}, {16, 24, 20}},
                {{1, 50, 31}, {16, 24, 20}},
                {{129, 257, 96}, {128, 128, 112}},
                {{300, 97, 160}, {80, 96, 160}},
        };
        double[] stepSizes = {0.5, 0.25, 0.7, 1.0};
        StringBuilder lines = new StringBuilder();
        for (int[][] c : cases) {
            for (double step : stepSizes) {
                lines.append(c[1][0]).append(' ').append(c[1][1]).append(' ').append(c[1][2]).append(' ')
                        .append(c[0][0]).append(' ').append(c[0][1]).append(' ').append(c[0][2]).append(' ')
                        .append(step).append('\n');
            }
        }
        Path file = dir.resolve("cases.txt");
        Files.writeString(file, lines);
        String[] outputs = Python.run(script(), "steps", "--cases", file.toString()).split("\n");
        int k = 0;
        for (int[][] c : cases) {
            for (double step : stepSizes) {
                String json = outputs[k++];
                SlidingWindowPlan plan = SlidingWindowPlan.of(c[0], c[1], step);
                assertArrayEquals(ints(json, "padBelow"), plan.padBelow(), json);
                assertArrayEquals(ints(json, "padAbove"), plan.padAbove(), json);
                assertArrayEquals(ints(json, "padded"), plan.padded(), json);
                int[][] s = steps(json);
                for (int a = 0; a < 3; a++) {
                    assertArrayEquals(s[a], plan.starts(a), "axis " + a + " " + json);
                }
                assertEquals(s[0].length * s[1].length * s[2].length, plan.tileCount());
            }
        }
    }

    @Test
    void tilesAreListedZOuterThenYThenX() {
        SlidingWindowPlan plan = SlidingWindowPlan.of(new int[] {224, 202, 244}, new int[] {128, 128, 128}, 0.5);
        List<Tile> tiles = plan.tiles();
        for (int i = 1; i < tiles.size(); i++) {
            Tile a = tiles.get(i - 1);
            Tile b = tiles.get(i);
            int cmp = a.z() != b.z() ? Integer.compare(a.z(), b.z())
                    : a.y() != b.y() ? Integer.compare(a.y(), b.y()) : Integer.compare(a.x(), b.x());
            assertTrue(cmp < 0, a + " before " + b);
            assertEquals(i, b.index());
        }
    }

    @Test
    void gaussianEqualsScipyBitForBit() throws IOException {
        int[][] patches = {{128, 128, 128}, {16, 24, 20}, {15, 7, 9}, {80, 96, 160}, {1, 5, 6}};
        for (int[] p : patches) {
            Path out = dir.resolve("g.f32");
            Python.run(script(), "gaussian", "--patch", str(p[0]), str(p[1]), str(p[2]), "--out", out.toString());
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
            float[] expected = new float[b.remaining() / 4];
            b.asFloatBuffer().get(expected);
            float[] actual = GaussianImportanceMap.of(p);
            assertEquals(expected.length, actual.length);
            int differ = 0;
            for (int i = 0; i < expected.length; i++) {
                if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                    differ++;
                }
            }
            assertEquals(0, differ, "voxels differing from scipy for patch " + java.util.Arrays.toString(p));
        }
    }

    @Test
    void slabBoundsCoverTheVolumeWithoutEmptySlabs() {
        assertArrayEquals(new int[] {0, 3, 6, 10}, SlidingWindowPlan.slabBounds(10, 3));
        assertArrayEquals(new int[] {0, 1}, SlidingWindowPlan.slabBounds(1, 3));
        assertArrayEquals(new int[] {0, 1, 2}, SlidingWindowPlan.slabBounds(2, 3));
    }

    private static String str(int v) {
        return String.valueOf(v);
    }
}
