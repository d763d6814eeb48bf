package io.stunet.infer.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.stunet.engine.InferenceEngine;
import io.stunet.engine.SlabRequest;
import io.stunet.engine.SlabResult;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.kafka.Inbound;
import io.stunet.kafka.Outbound;
import io.stunet.kafka.SlabLedger;
import io.stunet.kafka.StageConsumer;
import io.stunet.kafka.StageHandler;
import io.stunet.kafka.StageVerticle;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.pipeline.CaseManifest;
import io.stunet.cases.CaseOptions;
import io.stunet.pipeline.CaseOutputs;
import io.stunet.slab.SlabLabels;
import io.stunet.slab.SlabPlan;
import io.stunet.pipeline.StageWork;
import io.stunet.records.BlobRef;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.TileRequested;
import io.stunet.records.TileSegmented;
import io.stunet.store.BlobKeys;
import io.stunet.store.ClaimCheckStore;
import io.stunet.store.Digests;
import io.stunet.topics.Topics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;

/**
 * The infer stage: a thin adapter from {@code stunet.tile.requested} to
 * {@code stunet.tile.segmented} around a shared {@link InferenceEngine}. A worker range-reads
 * the planes the slab's tiles need from {@code preprocessed.f32}, offers the slab to the
 * engine (whose device threads do the work), and writes the labels as
 * {@code slabs/{i}.labels}. The consumer's capacity callback is the engine's intake, so when
 * every device slot is taken the assigned partitions pause while polling goes on. A slab whose
 * labels are already in the store (a redelivery after a crash) is not computed again, and a
 * redelivery of a slab this process is still computing ({@link SlabLedger}) waits for that
 * computation instead of starting a second one.
 */
public final class InferService {
    public static final String STAGE = "infer";

    private final StreamingRuntime runtime;
    private final InferenceEngine engine;
    private final WorkerExecutor workers;
    private final SlabLedger ledger = new SlabLedger(4096);
    private final Counter computed;
    private final Counter reused;
    private final Counter deduplicated;
    /** Slabs this process is computing now, by {@code caseId/slab}: a redelivery waits for them. */
    private final ConcurrentHashMap<String, Future<List<Outbound>>> inFlight = new ConcurrentHashMap<>();

    /**
     * @param engine  opened with the model, devices, TTA and step this service serves
     * @param threads worker threads for store reads and writes (the engine has its own device threads)
     */
    public InferService(StreamingRuntime runtime, InferenceEngine engine, int threads) {
        this.runtime = runtime;
        this.engine = engine;
        this.workers = runtime.vertx().createSharedWorkerExecutor("stunet-infer-io", threads);
        MeterRegistry registry = runtime.metrics().registry();
        this.computed = Counter.builder("stunet_infer_slabs_total").tag("result", "computed").register(registry);
        this.reused = Counter.builder("stunet_infer_slabs_total").tag("result", "reused").register(registry);
        this.deduplicated = Counter.builder("stunet_infer_slabs_total").tag("result", "deduplicated").register(registry);
        EngineMetrics.registerDeviceBusy(registry, engine.options().devices(), slot -> engine.busyNanos()[slot] / 1e9);
    }

    /** The stage as a verticle on {@code stunet.tile.requested}, paused while the engine is full. */
    public StageVerticle<TileRequested> verticle() {
        return new StageVerticle<>(runtime, STAGE, Topics.TILE_REQUESTED, TileRequested.class, handler(),
                engine::hasCapacity);
    }

    /** A consumer (not started) for callers that manage it directly, e.g. to stop it abruptly. */
    public StageConsumer<TileRequested> consumer() {
        return runtime.stage(STAGE, Topics.TILE_REQUESTED, TileRequested.class, handler(), engine::hasCapacity);
    }

    public StageHandler<TileRequested> handler() {
        return this::handle;
    }

    private Future<List<Outbound>> handle(Inbound<TileRequested> in) {
        TileRequested t = in.value();
        String slabKey = t.caseId() + "/" + t.slab();
        if (!ledger.firstSeen(t.caseId(), t.slab(), t.slabCount())) {
            Future<List<Outbound>> running = inFlight.get(slabKey);
            if (running != null) {
                // A redelivery while this process still computes the slab: wait for that result
                // (so this record is not committed before it) instead of running the slab twice;
                // the first record publishes the outbounds.
                deduplicated.increment();
                return running.map(done -> List.of());
            }
        }
        Future<List<Outbound>> result = run(t);
        inFlight.put(slabKey, result);
        return result.onComplete(ar -> {
            inFlight.remove(slabKey, result);
            if (ar.failed()) {
                // A retry of a failed slab must be computed, not deduplicated.
                ledger.forget(t.caseId(), t.slab());
            }
        });
    }

    /** Store lookups and reads on the I/O pool, the slab on the engine, the labels written back on the pool. */
    private Future<List<Outbound>> run(TileRequested t) {
        Context context = runtime.vertx().getOrCreateContext();
        return StageWork.onPool(workers, () -> start(t), STAGE).compose(started -> {
            if (started.done() != null) {
                reused.increment();
                return Future.succeededFuture(started.done());
            }
            return Future.fromCompletionStage(started.submitted(), context)
                    .compose(r -> StageWork.onPool(workers, () -> {
                        TileSegmented seg = write(t, r);
                        computed.increment();
                        return outbounds(seg, runtime.store());
                    }, STAGE));
        });
    }

    /**
     * How the blocking part of a tile request ended: exactly one of the outbounds of an
     * existing answer ({@code done}) and the engine's future for the slab ({@code submitted}).
     */
    private record Started(List<Outbound> done, CompletableFuture<SlabResult> submitted) {
    }

    /**
     * Blocking: the outbounds of an existing result, or the engine's future for the slab after
     * its planes were read from the store. Waiting for engine intake here is rare: the consumer
     * pauses its partitions as soon as the intake is full.
     */
    private Started start(TileRequested t) {
        if (CaseOutputs.present(runtime.store(), t.caseId())) {
            return new Started(CaseOutputs.alreadyCompleted(t.caseId(), STAGE), null);
        }
        Optional<TileSegmented> existing = existing(t);
        if (existing.isPresent()) {
            return new Started(outbounds(existing.get(), runtime.store()), null);
        }
        return new Started(null, engine.submit(request(t)));
    }

    /** Blocking: the slab's labels when the store already has them for this z-range. */
    private Optional<TileSegmented> existing(TileRequested t) {
        ClaimCheckStore store = runtime.store();
        String labelsKey = BlobKeys.slabLabels(t.caseId(), t.slab());
        if (store.exists(labelsKey)) {
            byte[] blob = store.get(labelsKey);
            SlabLabels existing = SlabLabels.decode(blob);
            if (existing.z0() == t.zStart() && existing.z1() == t.zEnd()) {
                BlobRef ref = new BlobRef(labelsKey, blob.length, Digests.sha256Hex(blob));
                return Optional.of(new TileSegmented(t.caseId(), t.slab(), t.slabCount(), t.zStart(), t.zEnd(), ref,
                        "store", 0));
            }
        }
        return Optional.empty();
    }

    /** Blocking: the slab request with its planes read from the store. */
    private SlabRequest request(TileRequested t) {
        ClaimCheckStore store = runtime.store();
        CaseManifest manifest = CaseManifest.fromJson(store.get(t.properties()));
        checkOptions(manifest);
        int c = t.shape().get(0);
        int[] shape = {t.shape().get(1), t.shape().get(2), t.shape().get(3)};
        int[] read = SlabPlan.readRange(shape[0], engine.options().patch()[0], engine.options().step(), t.zStart(), t.zEnd());
        if (read[0] < t.readZStart() || read[1] > t.readZEnd()) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "tile request reads planes [" + t.readZStart() + ", "
                    + t.readZEnd() + ") but its tiles need [" + read[0] + ", " + read[1] + ")");
        }
        long plane = (long) shape[1] * shape[2];
        int planes = t.readZEnd() - t.readZStart();
        if (4L * planes * plane > Integer.MAX_VALUE - 8) {
            throw new StunetException(ErrorCode.VOLUME_TOO_LARGE, "slab read range exceeds 2 GiB; use more slabs");
        }
        float[][] channels = new float[c][];
        for (int ch = 0; ch < c; ch++) {
            long offset = 4L * (((long) ch * shape[0] + t.readZStart()) * plane);
            byte[] bytes = store.getRange(t.volume().key(), offset, (int) (4L * planes * plane));
            channels[ch] = new float[(int) (planes * plane)];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(channels[ch]);
        }
        SlabRangeSource source = new SlabRangeSource(channels, shape, t.readZStart(), t.readZEnd());
        return new SlabRequest(t.caseId(), source, t.slab(), t.slabCount());
    }

    private void checkOptions(CaseManifest m) {
        boolean tta = CaseOptions.tta(m.options());
        double step = CaseOptions.step(m.options());
        if (tta != engine.options().tta() || step != engine.options().step()) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "case asks for tta=" + tta + " step=" + step
                    + " but this infer service runs tta=" + engine.options().tta() + " step=" + engine.options().step());
        }
    }

    /** Blocking: stores the slab's labels (deterministic key, identical bytes on a repeat). */
    private TileSegmented write(TileRequested t, SlabResult r) {
        byte[] blob = r.labels().encode();
        BlobRef ref = runtime.store().put(BlobKeys.slabLabels(t.caseId(), t.slab()), blob);
        return new TileSegmented(t.caseId(), t.slab(), t.slabCount(), t.zStart(), t.zEnd(), ref, r.device(),
                r.nanos() / 1_000_000);
    }

    private static List<Outbound> outbounds(TileSegmented seg, ClaimCheckStore store) {
        int present = SlabLedger.slabsInStore(store, seg.caseId()).cardinality();
        double progress = 0.2 + 0.7 * Math.min(present, seg.slabCount()) / seg.slabCount();
        return List.of(Outbound.status(CaseStatus.of(seg.caseId(), CaseState.INFERRING, progress, STAGE)),
                Outbound.of(Topics.TILE_SEGMENTED, seg));
    }

    /** Releases the I/O pool; the engine belongs to the caller. */
    public void close() {
        workers.close();
    }
}
