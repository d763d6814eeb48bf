package io.stunet.engine;

import io.stunet.testing.FullCollections;
import io.stunet.window.VolumeSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link EngineOptions#collectAfterSlab}: one full collection per finished slab, same labels. */
class CollectAfterSlabTest {
    @TempDir
    Path dir;

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
        long before = FullCollections.count();
        byte[] collected = labels(model, src, true);
        long after = FullCollections.count();
        assertTrue(after - before >= 2, "full collections during two slabs: " + (after - before));
        assertArrayEquals(plain, collected);
    }
}
