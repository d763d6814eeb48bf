package io.stunet.kafka;

import io.stunet.config.StunetConfig;
import io.stunet.error.ErrorCode;
import io.stunet.records.BlobRef;
import io.stunet.records.CaseCompleted;
import io.stunet.records.CaseIds;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.CaseSubmitted;
import io.stunet.records.RecordCodec;
import io.stunet.records.TileRequested;
import io.stunet.records.TileSegmented;
import io.stunet.store.BlobKeys;
import io.stunet.store.ClaimCheckStore;
import io.stunet.topics.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three toy stages (split into slabs, threshold each slab, join) wired exactly as the real
 * preprocess, infer and postprocess stages will be: each is a handler from one record to a
 * future of downstream records, run by the runtime over the embedded broker and local store.
 */
class StreamingRuntimeTest {
    private static final int SLABS = 3;
    private static final List<Integer> SHAPE = List.of(1, 6, 2, 2);
    private static final int PLANE = SHAPE.get(2) * SHAPE.get(3);
    private static final String MODEL = "ab".repeat(32);

    @TempDir
    Path dir;

    @Test
    void casesFlowThroughChainedStagesAndPoisonEndsInTheDeadLetterTopic() throws Exception {
        StunetConfig config = StunetConfig.load(null, Map.of(), Map.of(
                "kafka.embedded.dir", dir.resolve("kafka").toString(),
                "store.local.root", dir.resolve("blobs").toString(),
                "topics.partitions.case", "2", "topics.partitions.tile", "3",
                "stage.retry.backoff.ms", "20"));
        Vertx vertx = Vertx.vertx();
        try (StreamingRuntime runtime = StreamingRuntime.start(vertx, config, "test", io.stunet.testing.TestBrokers::embedded)) {
            assertTrue(runtime.embedded());
            ClaimCheckStore store = runtime.store();
            SlabLedger ledger = new SlabLedger(100);
            StageVerticle<TileSegmented> joinVerticle = new StageVerticle<>(runtime, "join", Topics.TILE_SEGMENTED,
                    TileSegmented.class, in -> vertx.executeBlocking(() -> join(store, ledger, in.value()), false), null);
            List<StageConsumer<?>> stages = List.of(
                    runtime.stage("split", Topics.CASE_SUBMITTED, CaseSubmitted.class,
                            in -> vertx.executeBlocking(() -> split(store, in.value()), false), null),
                    runtime.stage("seg", Topics.TILE_REQUESTED, TileRequested.class,
                            in -> vertx.executeBlocking(() -> segment(store, in.value()), false), null));
            for (StageConsumer<?> s : stages) {
                s.start();
            }
            String joinDeployment = vertx.deployVerticle(joinVerticle).await(30, TimeUnit.SECONDS);
            try (CaseStatusView view = runtime.statusView().start()) {
                Map<String, byte[]> inputs = new java.util.HashMap<>();
                List<Future<Void>> sent = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    byte[] volume = new byte[SHAPE.get(1) * PLANE * 4];
                    new Random(i).nextBytes(volume);
                    String sha = io.stunet.store.Digests.sha256Hex(volume);
                    String caseId = CaseIds.derive(sha, MODEL, Map.of());
                    BlobRef input = store.put(BlobKeys.input(caseId), volume);
                    inputs.put(caseId, volume);
                    sent.add(runtime.publisher().publish(Outbound.of(Topics.CASE_SUBMITTED,
                            new CaseSubmitted(caseId, input, "case" + i + ".nii.gz", MODEL, Map.of(), 0))));
                }
                String poison = CaseIds.derive("ee".repeat(32), MODEL, Map.of());
                sent.add(runtime.publisher().publish(Outbound.of(Topics.CASE_SUBMITTED, new CaseSubmitted(poison,
                        new BlobRef(BlobKeys.input(poison), 10, "ee".repeat(32)), "poison.nii.gz", MODEL, Map.of(), 0))));
                Future.all(sent).await(30, TimeUnit.SECONDS);

                KafkaTestSupport.await("every case final", Duration.ofSeconds(60), () ->
                        inputs.keySet().stream().allMatch(id -> view.get(id).map(s -> s.state() == CaseState.COMPLETED).orElse(false))
                                && view.get(poison).map(s -> s.state() == CaseState.FAILED).orElse(false));
                assertEquals(ErrorCode.BLOB_CORRUPT, view.get(poison).orElseThrow().errorCode());
                assertEquals("split", view.get(poison).orElseThrow().stage());

                Map<String, Long> completions = TopicDump.records(runtime.bootstrap(), Topics.CASE_COMPLETED).stream()
                        .map(r -> RecordCodec.decode(r.value(), CaseCompleted.class).caseId())
                        .collect(Collectors.groupingBy(id -> id, Collectors.counting()));
                assertEquals(inputs.keySet(), completions.keySet());
                assertTrue(completions.values().stream().allMatch(n -> n == 1), "each case completes once: " + completions);
                for (Map.Entry<String, byte[]> e : inputs.entrySet()) {
                    assertArrayEquals(threshold(e.getValue()), store.get(BlobKeys.mask(e.getKey())));
                }
                assertTrue(runtime.health().ready());
                String scrape = runtime.metrics().scrape();
                assertTrue(scrape.contains("stunet_stage_records_total{outcome=\"dead_letter\",service=\"test\",stage=\"split\"} 1.0"), scrape);
            }
            vertx.undeploy(joinDeployment).await(60, TimeUnit.SECONDS);
            assertTrue(!joinVerticle.consumer().isRunning(), "undeploying a stage verticle stops its consumer");
            runtime.stopStages().await(60, TimeUnit.SECONDS);
            assertTrue(!runtime.health().ready(), "stopped stages are not ready");
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    private static List<Outbound> split(ClaimCheckStore store, CaseSubmitted c) {
        byte[] volume = store.get(c.input());
        BlobRef pre = store.put(BlobKeys.preprocessedVolume(c.caseId()), volume);
        BlobRef props = store.put(BlobKeys.preprocessedProperties(c.caseId()), "{}".getBytes());
        List<Outbound> out = new ArrayList<>();
        out.add(Outbound.status(CaseStatus.of(c.caseId(), CaseState.PREPROCESSING, 0.1, "split")));
        int per = SHAPE.get(1) / SLABS;
        for (int s = 0; s < SLABS; s++) {
            out.add(Outbound.of(Topics.TILE_REQUESTED, new TileRequested(c.caseId(), s, SLABS, s * per, (s + 1) * per,
                    s * per, (s + 1) * per, SHAPE, pre, props, c.modelSha256())));
        }
        return out;
    }

    private static List<Outbound> segment(ClaimCheckStore store, TileRequested t) {
        int bytesPerPlane = PLANE * 4;
        byte[] slab = store.getRange(t.volume().key(), (long) t.readZStart() * bytesPerPlane,
                (t.readZEnd() - t.readZStart()) * bytesPerPlane);
        BlobRef labels = store.put(BlobKeys.slabLabels(t.caseId(), t.slab()), threshold(slab));
        return List.of(Outbound.status(CaseStatus.of(t.caseId(), CaseState.INFERRING, 0.5, "seg")),
                Outbound.of(Topics.TILE_SEGMENTED, new TileSegmented(t.caseId(), t.slab(), t.slabCount(),
                        t.zStart(), t.zEnd(), labels, "cpu", 1)));
    }

    private static List<Outbound> join(ClaimCheckStore store, SlabLedger ledger, TileSegmented t) {
        if (SlabLedger.slabsInStore(store, t.caseId()).cardinality() < t.slabCount() || !ledger.firstCompletion(t.caseId())) {
            return List.of();
        }
        ByteArrayOutputStream mask = new ByteArrayOutputStream();
        for (int s = 0; s < t.slabCount(); s++) {
            mask.writeBytes(store.get(BlobKeys.slabLabels(t.caseId(), s)));
        }
        BlobRef maskRef = store.put(BlobKeys.mask(t.caseId()), mask.toByteArray());
        BlobRef stats = store.put(BlobKeys.stats(t.caseId()), "{}".getBytes());
        return List.of(Outbound.status(CaseStatus.of(t.caseId(), CaseState.COMPLETED, 1.0, "join")),
                Outbound.of(Topics.CASE_COMPLETED, new CaseCompleted(t.caseId(), "x.nii.gz", maskRef, stats, t.slabCount(), 0)));
    }

    /** The toy "segmentation": one label byte per 4-byte voxel, 1 where its first byte is negative. */
    private static byte[] threshold(byte[] voxels) {
        byte[] out = new byte[voxels.length / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (voxels[4 * i] < 0 ? 1 : 0);
        }
        return out;
    }

    @Test
    void aNonFinalStatusOlderThanAFinalOneDoesNotRegressTheView() {
        String id = CaseIds.derive("01".repeat(32), MODEL, Map.of());
        CaseStatus done = new CaseStatus(id, CaseState.COMPLETED, 1.0, null, null, "post", 2000);
        CaseStatus late = new CaseStatus(id, CaseState.INFERRING, 0.5, null, null, "infer", 1500);
        CaseStatus resubmitted = new CaseStatus(id, CaseState.RECEIVED, 0.0, null, null, "ingest", 3000);
        assertEquals(done, CaseStatusView.merge(done, late));
        assertEquals(resubmitted, CaseStatusView.merge(done, resubmitted));
        assertEquals(late, CaseStatusView.merge(null, late));
        // A redelivery after a crash, later than the completion: the case stays COMPLETED, once.
        CaseStatus redone = new CaseStatus(id, CaseState.PREPROCESSING, 0.0, null, null, "preprocess", 2500);
        CaseStatus again = new CaseStatus(id, CaseState.COMPLETED, 1.0, null, null, "post", 2600);
        CaseStatus failedLater = CaseStatus.failed(id, ErrorCode.STORE_FAILURE, "store down", "infer");
        assertSame(done, CaseStatusView.merge(done, redone));
        assertSame(done, CaseStatusView.merge(done, again), "a repeated COMPLETED is no change");
        assertSame(done, CaseStatusView.merge(done, failedLater));
        // FAILED is left by a later update (a resubmission), not by an older one.
        CaseStatus failed = new CaseStatus(id, CaseState.FAILED, 0.0, ErrorCode.ENGINE_FAILURE, "x", "infer", 2000);
        assertSame(failed, CaseStatusView.merge(failed, late));
        assertSame(resubmitted, CaseStatusView.merge(failed, resubmitted));
        assertEquals(Arrays.asList(CaseState.values()).subList(4, 6),
                Arrays.stream(CaseState.values()).filter(CaseState::isFinal).toList());
    }
}
