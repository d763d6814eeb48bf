package io.stunet.engine;

import io.stunet.slab.SlabLabels;
import io.stunet.window.VolumeSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * docs/numerics.md section 5: masks from every combination of slabs {1, 2, 3}, devices {1, 2}
 * ({@code cpu} listed twice runs two model instances concurrently) and batch {1, 3} are
 * bit-identical to the untiled single-device batch-1 run, with test-time mirroring on so that
 * batches mix tiles, mirrors and slabs. The baseline accumulates on the device thread; the tiled
 * runs overlap forward passes with accumulation ({@link EngineOptions#pipelined}).
 */
class TiledPredictionExactnessTest {
    private static final int CLASSES = 7;
    private static final int[] PATCH = {12, 16, 14};
    private static final int[] SHAPE = {30, 22, 20};

    @TempDir
    static Path dir;
    static Path model;
    static float[] volume;

    @BeforeAll
    static void setUp() {
        model = Reference.net(dir, "exact", 1, CLASSES, 4);
        volume = Reference.volume(1, SHAPE, 11);
    }

    private static SlabLabels run(InferenceEngine engine, int slabs) {
        return engine.predictCase("exact", VolumeSource.of(volume, 1, SHAPE), slabs);
    }

    @Test
    void tiledPredictionEqualsUntiled() {
        SlabLabels baseline;
        EngineOptions base = new EngineOptions().classes(CLASSES).patch(PATCH).tta(true).batchSize(1).devices(List.of("cpu"))
                .pipelined(false);
        try (InferenceEngine engine = InferenceEngine.open(model, base)) {
            baseline = run(engine, 1);
        }
        for (List<String> devices : List.of(List.of("cpu"), List.of("cpu", "cpu"))) {
            for (int batch : new int[] {1, 3}) {
                EngineOptions o = new EngineOptions().classes(CLASSES).patch(PATCH).tta(true).batchSize(batch)
                        .devices(devices).intakeCapacity(3).pipelined(true);
                try (InferenceEngine engine = InferenceEngine.open(model, o)) {
                    for (int slabs : new int[] {1, 2, 3}) {
                        SlabLabels m = run(engine, slabs);
                        String what = "slabs=" + slabs + " devices=" + devices.size() + " batch=" + batch;
                        assertArrayEquals(baseline.shape(), m.shape(), what);
                        assertArrayEquals(baseline.bytes(), m.bytes(), what);
                    }
                }
            }
        }
        int distinct = (int) java.util.stream.IntStream.range(0, baseline.voxels()).map(baseline::label).distinct().count();
        assertEquals(true, distinct > 1, "the test mask should not be constant");
    }

    /**
     * The tensor accumulator a GPU uses, run here on the CPU device: same chunking and float32
     * arithmetic as the host accumulator, so the same labels bit for bit, with slabs and mirroring.
     */
    @Test
    void deviceAccumulationEqualsHostAccumulation() {
        SlabLabels host;
        SlabLabels device;
        EngineOptions o = new EngineOptions().classes(CLASSES).patch(PATCH).tta(true).devices(List.of("cpu"));
        try (InferenceEngine engine = InferenceEngine.open(model, o.accumulation(EngineOptions.Accumulation.HOST))) {
            host = run(engine, 2);
        }
        try (InferenceEngine engine = InferenceEngine.open(model, o.accumulation(EngineOptions.Accumulation.DEVICE))) {
            device = run(engine, 2);
        }
        assertArrayEquals(host.bytes(), device.bytes());
    }
}
