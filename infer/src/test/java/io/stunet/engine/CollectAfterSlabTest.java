package io.stunet.engine;

import io.stunet.window.VolumeSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link EngineOptions#collectAfterSlab}: one full collection per finished slab, same labels. */
class CollectAfterSlabTest {
    @TempDir
    Path dir;

    /** Full (old-generation) collections so far, whichever collector the test JVM runs. */
    private static long fullCollections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String name = gc.getName();
            if (name.contains("Old") || name.contains("MarkSweep")) {
                n += gc.getCollectionCount();
            }
        }
        return n;
    }

    private static byte[] labels(Path model, VolumeSource src, boolean collect) throws Exception {
        EngineOptions o = new EngineOptions().classes(3).patch(8, 8, 8).tta(false).devices(List.of("cpu"))
                .collectAfterSlab(collect);
        try (InferenceEngine engine = InferenceEngine.open(model, o)) {
            SlabResult a = engine.offer(new SlabRequest("c", src, 0, 2)).orElseThrow().get(60, TimeUnit.SECONDS);
            SlabResult b = engine.offer(new SlabRequest("c", src, 1, 2)).orElseThrow().get(60, TimeUnit.SECONDS);
            byte[] ea = a.labels().encode();
            byte[] eb = b.labels().encode();
            byte[] both = new byte[ea.length + eb.length];
            System.arraycopy(ea, 0, both, 0, ea.length);
            System.arraycopy(eb, 0, both, ea.length, eb.length);
            return both;
        }
    }

    @Test
    void eachFinishedSlabIsFollowedByAFullCollectionAndTheLabelsDoNotChange() throws Exception {
        int[] shape = {20, 10, 9};
        Path model = Reference.net(dir, "gc", 1, 3, 2);
        VolumeSource src = VolumeSource.of(Reference.volume(1, shape, 1), 1, shape);
        byte[] plain = labels(model, src, false);
        long before = fullCollections();
        byte[] collected = labels(model, src, true);
        long after = fullCollections();
        assertTrue(after - before >= 2, "full collections during two slabs: " + (after - before));
        assertArrayEquals(plain, collected);
    }
}
