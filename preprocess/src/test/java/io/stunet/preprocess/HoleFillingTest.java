package io.stunet.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stunet.testing.Python;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link HoleFilling} and {@link NonzeroCrop} against scipy's binary_fill_holes. */
class HoleFillingTest {
    @TempDir
    Path dir;

    @Test
    void fillEqualsScipyBinaryFillHoles() throws IOException {
        int[] shape = {21, 26, 31};
        boolean[] mask = shells(shape, 5);
        Path in = dir.resolve("mask.u8");
        Path out = dir.resolve("filled.u8");
        byte[] bytes = new byte[mask.length];
        for (int i = 0; i < mask.length; i++) {
            bytes[i] = (byte) (mask[i] ? 1 : 0);
        }
        Files.write(in, bytes);
        Python.module(PreprocessorParityTest.REF, "fill-holes", "--input", in.toString(),
                "--shape", "21,26,31", "--output", out.toString());
        byte[] ref = Files.readAllBytes(out);
        boolean[] expected = new boolean[ref.length];
        for (int i = 0; i < ref.length; i++) {
            expected[i] = ref[i] != 0;
        }
        boolean[] filled = HoleFilling.fill(mask, shape);
        assertArrayEquals(expected, filled);
        int holes = 0;
        for (int i = 0; i < mask.length; i++) {
            holes += filled[i] && !mask[i] ? 1 : 0;
        }
        assertTrue(holes > 0, "the test mask must contain enclosed holes");
    }

    /** Random hollow boxes, some opened to the border or to each other. */
    static boolean[] shells(int[] shape, long seed) {
        Random r = new Random(seed);
        boolean[] m = new boolean[shape[0] * shape[1] * shape[2]];
        for (int b = 0; b < 12; b++) {
            int[] lo = new int[3];
            int[] hi = new int[3];
            for (int a = 0; a < 3; a++) {
                lo[a] = r.nextInt(shape[a] - 4);
                hi[a] = Math.min(shape[a] - 1, lo[a] + 4 + r.nextInt(shape[a] / 2));
            }
            boolean open = r.nextBoolean();
            for (int z = lo[0]; z <= hi[0]; z++) {
                for (int y = lo[1]; y <= hi[1]; y++) {
                    for (int x = lo[2]; x <= hi[2]; x++) {
                        boolean wall = z == lo[0] || z == hi[0] || y == lo[1] || y == hi[1] || x == lo[2] || x == hi[2];
                        boolean hole = open && x == lo[2] && z == (lo[0] + hi[0]) / 2 && y == (lo[1] + hi[1]) / 2;
                        if (wall && !hole) {
                            m[(z * shape[1] + y) * shape[2] + x] = true;
                        }
                    }
                }
            }
        }
        for (int i = 0; i < m.length; i++) {
            if (r.nextInt(50) == 0) {
                m[i] = true;
            }
        }
        return m;
    }
}
