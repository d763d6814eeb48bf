package io.stunet.window;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The raw float32 file source reads blocks of rows; every row must still be the file's. */
class FileVolumeSourceTest {
    @TempDir
    Path dir;

    @Test
    void rowsReadInAnyOrderMatchTheInMemorySource() throws IOException {
        // Wide enough that a block holds fewer rows than a plane: 2 channels of 3 x 300 x 700.
        int[] shape = {3, 300, 700};
        int channels = 2;
        float[] data = new float[channels * shape[0] * shape[1] * shape[2]];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        Path file = dir.resolve("v.f32");
        ByteBuffer bytes = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        Files.write(file, bytes.array());
        VolumeSource memory = VolumeSource.of(data, channels, shape);
        try (VolumeSource.FileVolumeSource source = VolumeSource.ofFile(file, channels, shape)) {
            assertEquals(channels, source.channels());
            assertArrayEquals(shape, source.shape());
            // Patch order (rows ascending, crossing block ends), then backwards and at random.
            int[][] reads = new int[3 * shape[1] + 200][];
            int k = 0;
            for (int y = 0; y < shape[1]; y++) {
                reads[k++] = new int[] {1, 2, y, 13, 600};
            }
            for (int y = shape[1] - 1; y >= 0; y--) {
                reads[k++] = new int[] {0, 1, y, 0, 700};
            }
            for (int y = 0; y < shape[1]; y++) {
                reads[k++] = new int[] {y % 2, y % 3, y, 699, 1};
            }
            while (k < reads.length) {
                int x0 = r.nextInt(700);
                reads[k++] = new int[] {r.nextInt(2), r.nextInt(3), r.nextInt(300), x0, 1 + r.nextInt(700 - x0)};
            }
            for (int[] q : reads) {
                float[] want = new float[q[4]];
                float[] got = new float[q[4]];
                memory.readRow(q[0], q[1], q[2], q[3], want);
                source.readRow(q[0], q[1], q[2], q[3], got);
                assertArrayEquals(want, got, java.util.Arrays.toString(q));
            }
        }
    }

    @Test
    void aFileOfTheWrongSizeIsRefused() throws IOException {
        Path file = dir.resolve("short.f32");
        Files.write(file, new byte[4 * 10]);
        StunetException e = assertThrows(StunetException.class, () -> VolumeSource.ofFile(file, 1, new int[] {1, 3, 4}));
        assertEquals(ErrorCode.BLOB_CORRUPT, e.code(), e.getMessage());
    }
}
