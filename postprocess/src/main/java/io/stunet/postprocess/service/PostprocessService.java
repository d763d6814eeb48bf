package io.stunet.postprocess.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.files.AtomicFiles;
import io.stunet.kafka.Inbound;
import io.stunet.kafka.Outbound;
import io.stunet.kafka.SlabLedger;
import io.stunet.kafka.StageHandler;
import io.stunet.kafka.StageVerticle;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiNames;
import io.stunet.nifti.NiftiReader;
import io.stunet.pipeline.CaseManifest;
import io.stunet.pipeline.CaseOutputs;
import io.stunet.pipeline.StageWork;
import io.stunet.postprocess.CaseArtifact;
import io.stunet.postprocess.CaseFinisher;
import io.stunet.postprocess.FinishedCase;
import io.stunet.postprocess.Provenance;
import io.stunet.postprocess.SegSource;
import io.stunet.dicom.SeriesInfoJson;
import io.stunet.cases.CaseOptions;
import io.stunet.records.BlobRef;
import io.stunet.records.CaseCompleted;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.TileSegmented;
import io.stunet.slab.SlabLabels;
import io.stunet.store.BlobKeys;
import io.stunet.store.ClaimCheckStore;
import io.stunet.store.Digests;
import io.stunet.topics.Topics;
import io.stunet.volume.Volume;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The postprocess stage: consumes {@code stunet.tile.segmented}; when every slab of a case is
 * in the store and this process has not completed the case yet, it stitches the slab labels
 * ({@link SlabLabels#stitch}), decodes the input blob in memory and runs the
 * {@link CaseFinisher}, the step {@code predict} runs too; a case whose input was a DICOM
 * series (ingest stored its {@link BlobKeys#dicomSeries} description) is finished with a
 * {@link SegSource} and so gets a DICOM SEG too. Every artifact it returns is stored
 * as {@code cases/{id}/{kind's store name}} and, when an outbox directory is configured,
 * written there as {@code NAME + kind's suffix} through {@link AtomicFiles}; the SEG is
 * delivered to every configured {@link SegDestination} (STOW-RS, C-STORE); then
 * {@link CaseCompleted} is published with status COMPLETED. Statistics are stored last, so
 * with them in the store every output is: a case whose outputs are already stored is not
 * assembled again (redelivery after a crash), its completion is republished from the stored
 * claim checks. Work runs on the stage's own worker pool.
 */
public final class PostprocessService {
    public static final String STAGE = "postprocess";
    private static final Logger LOG = LoggerFactory.getLogger(PostprocessService.class);

    private final StreamingRuntime runtime;
    private final CaseFinisher finisher;
    private final ModelCard card;
    private final String version;
    private final Path outbox;
    private final List<SegDestination> destinations;
    private final WorkerExecutor workers;
    private final SlabLedger ledger = new SlabLedger(4096);
    private final Counter completions;

    /**
     * @param outbox  directory that also receives the output files ({@code NAME_seg.nii.gz}, ...), or {@code null}
     * @param threads worker threads for assembly and export (each holds a case in memory)
     * @param version the program version recorded in the outputs' provenance and in the DICOM SEG
     *                of cases whose input was a series
     * @param destinations where each new SEG is delivered (in this order), none for none
     */
    public PostprocessService(StreamingRuntime runtime, ModelCard card, Path outbox, int threads, String version,
                              List<SegDestination> destinations) {
        this.runtime = runtime;
        this.finisher = new CaseFinisher(card);
        this.card = card;
        this.version = version;
        this.outbox = outbox;
        this.destinations = List.copyOf(destinations);
        this.workers = runtime.vertx().createSharedWorkerExecutor("stunet-postprocess", threads);
        this.completions = Counter.builder("stunet_cases_completed_total").register(runtime.metrics().registry());
    }

    /** The stage as a verticle on {@code stunet.tile.segmented}. */
    public StageVerticle<TileSegmented> verticle() {
        return new StageVerticle<>(runtime, STAGE, Topics.TILE_SEGMENTED, TileSegmented.class, handler(), null);
    }

    public StageHandler<TileSegmented> handler() {
        return this::handle;
    }

    private Future<List<Outbound>> handle(Inbound<TileSegmented> in) {
        return StageWork.onPool(workers, () -> process(in.value()), STAGE);
    }

    /** Blocking: completes the case when this slab was the last one missing. */
    List<Outbound> process(TileSegmented seg) {
        ClaimCheckStore store = runtime.store();
        BitSet present = SlabLedger.slabsInStore(store, seg.caseId());
        if (present.nextClearBit(0) < seg.slabCount() || !ledger.firstCompletion(seg.caseId())) {
            return List.of();
        }
        try {
            if (CaseOutputs.present(store, seg.caseId())) {
                return completedAgain(seg.caseId(), seg.slabCount(), store);
            }
            return complete(seg.caseId(), seg.slabCount(), store);
        } catch (RuntimeException e) {
            // A failed attempt must not block the retry (or a redelivery) from completing the case.
            ledger.forget(seg.caseId());
            throw e;
        }
    }

    /**
     * A redelivery of a case whose outputs are already stored (this or another postprocess
     * crashed after storing them, before its offsets were committed): nothing is rewritten;
     * COMPLETED and a {@link CaseCompleted} with the stored outputs' claim checks are published
     * again, identical to the first, in case the crash came before they were. The SEG is not
     * sent again: statistics are stored only after a successful send.
     */
    private List<Outbound> completedAgain(String caseId, int slabCount, ClaimCheckStore store) {
        CaseManifest manifest = CaseManifest.fromJson(store.get(BlobKeys.preprocessedProperties(caseId)));
        BlobRef maskRef = storedRef(store, BlobKeys.mask(caseId));
        BlobRef statsRef = storedRef(store, BlobKeys.stats(caseId));
        LOG.info("event=case_already_completed case={}", caseId);
        return completion(caseId, manifest.inputName(), maskRef, statsRef, slabCount);
    }

    private static BlobRef storedRef(ClaimCheckStore store, String key) {
        byte[] data = store.get(key);
        return new BlobRef(key, data.length, Digests.sha256Hex(data));
    }

    private static List<Outbound> completion(String caseId, String inputName, BlobRef mask, BlobRef stats, int slabCount) {
        return List.of(Outbound.status(CaseStatus.of(caseId, CaseState.COMPLETED, 1.0, STAGE)),
                Outbound.of(Topics.CASE_COMPLETED, new CaseCompleted(caseId, inputName, mask, stats,
                        slabCount, System.currentTimeMillis())));
    }

    private List<Outbound> complete(String caseId, int slabCount, ClaimCheckStore store) {
        CaseManifest manifest = CaseManifest.fromJson(store.get(BlobKeys.preprocessedProperties(caseId)));
        if (manifest.slabCount() != slabCount) {
            throw new StunetException(ErrorCode.INVALID_RECORD, "tile record says " + slabCount
                    + " slabs, the case manifest " + manifest.slabCount());
        }
        // The input blob's checksum is the SHA-256 of the file as it was received (ingest checks it while storing).
        Provenance provenance = new Provenance(version, card.name(), manifest.modelSha256(), manifest.input().sha256(),
                CaseOptions.tta(manifest.options()), CaseOptions.step(manifest.options()), slabCount, null,
                manifest.submittedAtMillis() > 0 ? Instant.ofEpochMilli(manifest.submittedAtMillis()) : Instant.now());
        CaseFinisher.Options options = CaseFinisher.Options.of(manifest.options(), provenance);
        String dicomKey = BlobKeys.dicomSeries(caseId);
        if (store.exists(dicomKey)) {
            options = options.withSeg(new SegSource(SeriesInfoJson.decode(store.get(dicomKey)), version));
        }
        List<SlabLabels> slabs = new ArrayList<>(slabCount);
        for (int i = 0; i < slabCount; i++) {
            slabs.add(SlabLabels.decode(store.get(BlobKeys.slabLabels(caseId, i))));
        }
        SlabLabels net = SlabLabels.stitch(slabs, manifest.properties().resampledShape()[0]);
        slabs.clear();
        Volume input = NiftiReader.read(store.get(manifest.input())).require3d();
        FinishedCase done = finisher.finish(net, manifest.properties(), input, options, phase -> { });

        String name = outbox == null ? null : NiftiNames.outputName(manifest.inputName());
        Map<CaseArtifact.Kind, BlobRef> stored = new EnumMap<>(CaseArtifact.Kind.class);
        CaseArtifact stats = done.artifact(CaseArtifact.Kind.STATS).orElseThrow();
        for (CaseArtifact a : done.artifacts()) {
            if (a != stats) {
                stored.putIfAbsent(a.kind(), store.put(BlobKeys.output(caseId, a.storeName()), a.bytes()));
            }
        }
        if (outbox != null) {
            for (CaseArtifact a : done.artifacts()) {
                writeToOutbox(a.fileName(name), a.bytes());
            }
        }
        // The SEG goes to the destinations before statistics are stored: a failed send (retried by
        // the stage) then finds the case incomplete and assembles and sends it again (to every
        // destination), and with statistics stored the SEG was delivered, so completedAgain need
        // not resend it.
        Optional<CaseArtifact> seg = done.artifact(CaseArtifact.Kind.SEG);
        if (seg.isPresent()) {
            for (SegDestination d : destinations) {
                deliver(d, caseId, seg.get().bytes());
            }
        }
        // Statistics last: with them stored every other output is (CaseOutputs.present), so a
        // redelivery after a crash republishes instead of rewriting.
        stored.put(stats.kind(), store.put(BlobKeys.output(caseId, stats.storeName()), stats.bytes()));
        completions.increment();
        return completion(caseId, manifest.inputName(), stored.get(CaseArtifact.Kind.MASK), stored.get(CaseArtifact.Kind.STATS), slabCount);
    }

    /**
     * Checks each SEG destination once, in the background ({@link SegDestination#check}), and
     * logs whether it answers ({@code event=seg_destination_checked} or
     * {@code seg_destination_unreachable}), so a wrong address shows at start rather than at
     * the first case. Never fails the stage: a destination may come up later.
     */
    public void checkDestinations() {
        for (SegDestination d : destinations) {
            workers.executeBlocking(() -> {
                d.check();
                return null;
            }, false).onComplete(ar -> {
                if (ar.succeeded()) {
                    LOG.info("event=seg_destination_checked destination={} target={}", d.kind(), d.address());
                } else {
                    LOG.warn("event=seg_destination_unreachable destination={} target={} message=\"{}\"", d.kind(), d.address(),
                            ar.cause().getMessage());
                }
            });
        }
    }

    /** One delivery, counted and timed per destination kind ({@code stunet_seg_deliveries_total}, {@code stunet_seg_delivery_seconds}). */
    private void deliver(SegDestination d, String caseId, byte[] seg) {
        MeterRegistry registry = runtime.metrics().registry();
        long started = System.nanoTime();
        String outcome = "failed";
        try {
            d.deliver(caseId, seg);
            outcome = "sent";
        } finally {
            registry.counter("stunet_seg_deliveries_total", "destination", d.kind(), "outcome", outcome).increment();
            registry.timer("stunet_seg_delivery_seconds", "destination", d.kind())
                    .record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    private void writeToOutbox(String fileName, byte[] bytes) {
        try {
            AtomicFiles.write(outbox.resolve(fileName), bytes);
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot write an output to the outbox", e);
        }
    }

    /** Releases the worker pool. */
    public void close() {
        workers.close();
    }
}
