package io.stunet.window;

import io.stunet.slab.SlabPlan;
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
import java.util.Arrays;
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
    void tilesAreListedZOuterThenTheInPlaneAxisWithTheSmallerOverlapBand() {
        // 224x202x244: overlap 91 along y (starts 0, 37, 74) times 244 against 70 along x (0, 58, 116) times 202.
        assertTilesInOrder(SlidingWindowPlan.of(new int[] {224, 202, 244}, new int[] {128, 128, 128}, 0.5), new int[] {0, 2, 1});
        // Transposed in-plane: y now has the smaller band.
        assertTilesInOrder(SlidingWindowPlan.of(new int[] {224, 244, 202}, new int[] {128, 128, 128}, 0.5), new int[] {0, 1, 2});
        // Equal bands keep nnU-Net's order (z, y, x).
        assertTilesInOrder(SlidingWindowPlan.of(new int[] {40, 30, 30}, new int[] {16, 16, 16}, 0.5), new int[] {0, 1, 2});
    }

    private static void assertTilesInOrder(SlidingWindowPlan plan, int[] order) {
        assertArrayEquals(order, plan.order(), plan.toString());
        List<Tile> tiles = plan.tiles();
        for (int i = 1; i < tiles.size(); i++) {
            int[] a = coordinates(tiles.get(i - 1));
            int[] b = coordinates(tiles.get(i));
            int cmp = 0;
            for (int axis : order) {
                cmp = cmp != 0 ? cmp : Integer.compare(a[axis], b[axis]);
            }
            assertTrue(cmp < 0, tiles.get(i - 1) + " before " + tiles.get(i));
            assertEquals(i, tiles.get(i).index());
        }
    }

    private static int[] coordinates(Tile t) {
        return new int[] {t.z(), t.y(), t.x()};
    }

    /** lastTileTouching is the largest index among the tiles that really cover the voxel, in either order. */
    @Test
    void lastTileTouchingIsTheLastCoveringTileInTheListedOrder() {
        for (int[] shape : new int[][] {{50, 37, 61}, {50, 61, 37}, {9, 20, 20}}) {
            int[] patch = {16, 16, 12};
            SlidingWindowPlan plan = SlidingWindowPlan.of(shape, patch, 0.5);
            int[] xs = plan.starts(2);
            int[] padded = plan.padded();
            for (int zp = 0; zp < padded[0]; zp++) {
                for (int yp = 0; yp < padded[1]; yp++) {
                    for (int kx = 0; kx < xs.length; kx++) {
                        int want = -1;
                        int wantRow = -1;
                        for (Tile t : plan.tiles()) {
                            boolean row = t.z() <= zp && zp < t.z() + patch[0] && t.y() <= yp && yp < t.y() + patch[1];
                            if (row) {
                                wantRow = Math.max(wantRow, t.index());
                                if (t.x() == xs[kx]) {
                                    want = Math.max(want, t.index());
                                }
                            }
                        }
                        assertEquals(want, plan.lastTileTouching(zp, yp, kx), Arrays.toString(shape) + " " + zp + "," + yp + "," + kx);
                        assertEquals(wantRow, plan.lastTileTouching(zp, yp));
                    }
                }
            }
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
        assertArrayEquals(new int[] {0, 3, 6, 10}, SlabPlan.bounds(10, 3));
        assertArrayEquals(new int[] {0, 1}, SlabPlan.bounds(1, 3));
        assertArrayEquals(new int[] {0, 1, 2}, SlabPlan.bounds(2, 3));
    }

    private static String str(int v) {
        return String.valueOf(v);
    }
}
