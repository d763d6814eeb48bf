package io.stunet.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.stunet.cases.CaseOptions;
import io.stunet.config.StunetConfig;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.infer.service.InferService;
import io.stunet.kafka.Inbound;
import io.stunet.kafka.Outbound;
import io.stunet.kafka.StageHandler;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.pipeline.CaseManifest;
import io.stunet.records.BlobRef;
import io.stunet.records.CaseIds;
import io.stunet.records.TileRequested;
import io.stunet.records.TileSegmented;
import io.stunet.slab.SlabLabels;
import io.stunet.slab.SlabPlan;
import io.stunet.store.BlobKeys;
import io.stunet.store.ClaimCheckStore;
import io.stunet.topics.Topics;
import io.stunet.window.VolumeSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The infer service on a real broker, store and engine: a tile request delivered again while
 * this process still computes it waits for that computation (one slab computed, the
 * redelivery answers with nothing to publish); one delivered after the labels are stored is
 * answered from the store; the stored labels are the engine's own for that slab.
 */
class InferServiceDedupeTest {
    private static final int CLASSES = 5;
    private static final int[] PATCH = {12, 16, 14};
    private static final int[] SHAPE = {30, 22, 20};
    private static final String MODEL = "cd".repeat(32);

    @TempDir
    Path dir;

    @Test
    void redeliveredSlabIsComputedOnce() throws Exception {
        Path model = Reference.net(dir, "dedupe", 1, CLASSES, 4);
        float[] volume = Reference.volume(1, SHAPE, 5);
        StunetConfig config = StunetConfig.load(null, Map.of(), Map.of(
                "kafka.embedded.dir", dir.resolve("kafka").toString(),
                "store.local.root", dir.resolve("blobs").toString()));
        EngineOptions options = new EngineOptions().classes(CLASSES).patch(PATCH).tta(false).step(0.5)
                .devices(List.of("cpu"));
        Vertx vertx = Vertx.vertx();
        try (StreamingRuntime runtime = StreamingRuntime.start(vertx, config, "test", io.stunet.testing.TestBrokers::embedded);
             InferenceEngine engine = InferenceEngine.open(model, options)) {
            ClaimCheckStore store = runtime.store();
            Map<String, String> caseOptions = CaseOptions.of(false, 0.5, "nearest", false);
            String caseId = CaseIds.derive("ef".repeat(32), MODEL, caseOptions);
            ByteBuffer raw = ByteBuffer.allocate(4 * volume.length).order(ByteOrder.LITTLE_ENDIAN);
            raw.asFloatBuffer().put(volume);
            BlobRef volumeRef = store.put(BlobKeys.preprocessedVolume(caseId), raw.array());
            BlobRef inputRef = store.put(BlobKeys.input(caseId), new byte[] {1});
            PreprocessingProperties props = new PreprocessingProperties(PreprocessingProperties.SCHEMA_VERSION, null,
                    new double[] {1, 1, 1}, "RAS", new int[] {0, 1, 2}, SHAPE, new int[][] {{0, 30}, {0, 22}, {0, 20}},
                    SHAPE, new double[] {1, 1, 1}, new double[] {1, 1, 1}, SHAPE, false, -1, 1);
            int[] bounds = SlabPlan.bounds(SHAPE[0], 2);
            BlobRef propsRef = store.put(BlobKeys.preprocessedProperties(caseId), new CaseManifest(
                    CaseManifest.SCHEMA_VERSION, props, inputRef, "case.nii.gz", MODEL, caseOptions, 2, 0L).toJson());
            int[] read = SlabPlan.readRange(SHAPE[0], PATCH[0], 0.5, bounds[0], bounds[1]);
            TileRequested tile = new TileRequested(caseId, 0, 2, bounds[0], bounds[1], read[0], read[1],
                    List.of(1, SHAPE[0], SHAPE[1], SHAPE[2]), volumeRef, propsRef, MODEL);

            InferService service = new InferService(runtime, engine, 2);
            try {
                StageHandler<TileRequested> handler = service.handler();
                Future<List<Outbound>> first = handler.handle(inbound(tile, 0));
                Future<List<Outbound>> again = handler.handle(inbound(tile, 1));
                List<Outbound> firstOut = first.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
                List<Outbound> againOut = again.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
                assertTrue(firstOut.stream().anyMatch(o -> o.topic().equals(Topics.TILE_SEGMENTED)));
                assertEquals(List.of(), againOut, "the redelivery publishes nothing of its own");

                List<Outbound> later = handler.handle(inbound(tile, 2)).toCompletionStage().toCompletableFuture()
                        .get(120, TimeUnit.SECONDS);
                TileSegmented fromStore = later.stream().filter(o -> o.record() instanceof TileSegmented)
                        .map(o -> (TileSegmented) o.record()).findFirst().orElseThrow();
                assertEquals("store", fromStore.device());

                MeterRegistry registry = runtime.metrics().registry();
                assertEquals(1.0, registry.counter("stunet_infer_slabs_total", "result", "computed").count());
                assertEquals(1.0, registry.counter("stunet_infer_slabs_total", "result", "deduplicated").count());
                assertEquals(1.0, registry.counter("stunet_infer_slabs_total", "result", "reused").count());

                SlabLabels stored = SlabLabels.decode(store.get(BlobKeys.slabLabels(caseId, 0)));
                SlabLabels direct = engine.submit(new SlabRequest(caseId, VolumeSource.of(volume, 1, SHAPE), 0, 2))
                        .get(120, TimeUnit.SECONDS).labels();
                assertEquals(bounds[0], stored.z0());
                assertEquals(bounds[1], stored.z1());
                assertArrayEquals(direct.bytes(), stored.bytes());
            } finally {
                service.close();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static Inbound<TileRequested> inbound(TileRequested t, long offset) {
        return new Inbound<>(t, t.caseId() + "/" + t.slab(), Topics.TILE_REQUESTED, 0, offset, 1);
    }
}
