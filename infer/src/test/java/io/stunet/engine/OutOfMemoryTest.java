package io.stunet.engine;

import io.stunet.error.StunetException;
import io.stunet.window.VolumeSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A slab whose accumulator cannot fit the heap is refused up front with VOLUME_TOO_LARGE and
 * a reason (started, it would leave the collector thrashing); an {@link OutOfMemoryError} that
 * does happen during slab work fails that case with ENGINE_FAILURE and a reason. Either way the
 * same engine then serves the next case. Runs in a child JVM with a small heap, so the test
 * JVM's heap is never at risk.
 */
class OutOfMemoryTest {
    private static final int CLASSES = 200;

    @TempDir
    Path dir;

    @Test
    void aSlabThatCannotFitTheHeapIsRefusedAndTheEngineServesTheNextCase() throws IOException, InterruptedException {
        Path model = Reference.net(dir, "oom", 1, CLASSES, 2);
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx160m",
                "-cp", System.getProperty("java.class.path"), Probe.class.getName(), model.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "child did not finish");
        String out = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("big: VOLUME_TOO_LARGE") && out.contains("split the case into more slabs"), out);
        assertTrue(out.contains("small: ok"), out);
        assertTrue(out.contains("lazy: ENGINE_FAILURE") && out.contains("out of memory on cpu"), out);
        assertTrue(out.contains("after: ok"), out);
    }

    /** The child: a case whose accumulator needs ~0.5 GB in a 160 MB heap, then a small case on the same engine. */
    public static final class Probe {
        public static void main(String[] args) {
            EngineOptions options = new EngineOptions().classes(CLASSES).patch(new int[] {16, 16, 16})
                    .devices(List.of("cpu"));
            try (InferenceEngine engine = InferenceEngine.open(Path.of(args[0]), options)) {
                // Live cells span about (patch + step) = 24 planes of 160 x 160 voxels x 201 floats.
                int[] big = {64, 160, 160};
                try {
                    engine.predictCase("big", VolumeSource.of(new float[big[0] * big[1] * big[2]], 1, big), 1);
                    System.out.println("big: ok");
                } catch (StunetException e) {
                    System.out.println("big: " + e.code() + " " + e.getMessage());
                }
                int[] small = {16, 24, 20};
                engine.predictCase("small", VolumeSource.of(new float[small[0] * small[1] * small[2]], 1, small), 1);
                System.out.println("small: ok");
                // A real OutOfMemoryError in the middle of slab work: a lazy source whose decode
                // buffer for one row cannot fit the heap (the admission check cannot foresee it).
                try {
                    engine.predictCase("lazy", new HugeDecodeSource(small), 1);
                    System.out.println("lazy: ok");
                } catch (StunetException e) {
                    System.out.println("lazy: " + e.code() + " " + e.getMessage());
                }
                engine.predictCase("after", VolumeSource.of(new float[small[0] * small[1] * small[2]], 1, small), 1);
                System.out.println("after: ok");
            }
        }
    }

    /** A source that, like a decoder with a whole-volume buffer, allocates 800 MB on its first read. */
    private static final class HugeDecodeSource implements VolumeSource {
        private final int[] shape;

        HugeDecodeSource(int[] shape) {
            this.shape = shape.clone();
        }

        @Override
        public int channels() {
            return 1;
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public void readRow(int c, int z, int y, int x0, float[] dst) {
            float[] decoded = new float[200_000_000];
            System.arraycopy(decoded, 0, dst, 0, dst.length);
        }
    }
}
