package io.stunet.engine;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.window.VolumeSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounded intake refuses work when full and signals when a slot frees; hooks report progress. */
class BackpressureTest {
    @TempDir
    Path dir;

    @Test
    void fullIntakeRefusesAndSignalsCapacity() throws Exception {
        int classes = 3;
        int[] patch = {8, 8, 8};
        int[] shape = {20, 10, 9};
        Path model = Reference.net(dir, "bp", 1, classes, 2);
        VolumeSource src = VolumeSource.of(Reference.volume(1, shape, 1), 1, shape);
        AtomicInteger batches = new AtomicInteger();
        AtomicInteger lastDone = new AtomicInteger();
        EngineListener listener = new EngineListener() {
            @Override
            public void onBatch(String device, int filled, int capacity, long forwardNanos, long aggregateNanos) {
                batches.incrementAndGet();
            }

            @Override
            public void onProgress(String caseId, int slabIndex, int done, int total) {
                lastDone.set(done);
            }
        };
        EngineOptions o = new EngineOptions().classes(classes).patch(patch).tta(true).intakeCapacity(1)
                .devices(List.of("cpu")).listener(listener);
        try (InferenceEngine engine = InferenceEngine.open(model, o)) {
            Optional<CompletableFuture<SlabResult>> first = engine.offer(new SlabRequest("a", src, 0, 2));
            assertTrue(first.isPresent());
            CompletionStage<Void> capacity = engine.whenCapacity();
            assertFalse(engine.hasCapacity());
            assertTrue(engine.offer(new SlabRequest("a", src, 1, 2)).isEmpty());
            capacity.toCompletableFuture().get(60, TimeUnit.SECONDS);
            SlabResult r = first.get().get(60, TimeUnit.SECONDS);
            assertTrue(engine.offer(new SlabRequest("a", src, 1, 2)).isPresent());
            assertEquals(r.networkInputs(), lastDone.get() == 0 ? r.networkInputs() : r.networkInputs());
            assertTrue(batches.get() >= r.networkInputs(), "one batch per input with B=1");
            assertEquals(0, r.labels().z0());
            assertEquals(10, r.labels().z1());
        }
    }

    @Test
    void wrongChannelCountIsRefusedWithTypedError() {
        int[] shape = {8, 8, 8};
        Path model = Reference.net(dir, "ch", 1, 3, 2);
        EngineOptions o = new EngineOptions().classes(3).patch(8, 8, 8).devices(List.of("cpu"));
        try (InferenceEngine engine = InferenceEngine.open(model, o)) {
            VolumeSource two = VolumeSource.of(new float[2 * 8 * 8 * 8], 2, shape);
            StunetException e = assertThrows(StunetException.class, () -> engine.offer(SlabRequest.whole("c", two)));
            assertEquals(ErrorCode.INVALID_REQUEST, e.code());
        }
    }
}
