package io.stunet.postprocess.service;

import io.micrometer.core.instrument.Counter;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.export.ExportMode;
import io.stunet.export.LabelMask;
import io.stunet.export.MaskExporter;
import io.stunet.kafka.Inbound;
import io.stunet.kafka.Outbound;
import io.stunet.kafka.SlabLedger;
import io.stunet.kafka.StageHandler;
import io.stunet.kafka.StageVerticle;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.pipeline.CaseManifest;
import io.stunet.pipeline.CaseOutputs;
import io.stunet.cases.CaseOptions;
import io.stunet.slab.SlabLabels;
import io.stunet.pipeline.StageWork;
import io.stunet.preview.PreviewRenderer;
import io.stunet.preview.Window;
import io.stunet.records.BlobRef;
import io.stunet.records.CaseCompleted;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.TileSegmented;
import io.stunet.stats.ClassStatistics;
import io.stunet.stats.StatsJson;
import io.stunet.stats.StatsReport;
import io.stunet.store.BlobKeys;
import io.stunet.store.ClaimCheckStore;
import io.stunet.store.Digests;
import io.stunet.topics.Topics;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The postprocess stage: consumes {@code stunet.tile.segmented}; when every slab of a case is
 * in the store and this process has not completed the case yet, it stitches the slab labels,
 * exports them to the input grid ({@link MaskExporter}, with the input file's header),
 * computes per-class statistics on the input's own grid ({@link ClassStatistics}), optionally
 * renders a preview, stores {@code mask.nii.gz} and {@code stats.json}, copies them to the
 * outbox directory when one is configured, and publishes {@link CaseCompleted} with status
 * COMPLETED. These are the same calls, in the same order, as {@code predict}, so the mask is
 * bit-identical. A case whose outputs are already stored is not assembled again (redelivery
 * after a crash): its completion is republished from the stored claim checks. Work runs on
 * the stage's own worker pool.
 */
public final class PostprocessService {
    public static final String STAGE = "postprocess";
    private static final Logger LOG = LoggerFactory.getLogger(PostprocessService.class);

    private final StreamingRuntime runtime;
    private final ModelCard card;
    private final Path outbox;
    private final WorkerExecutor workers;
    private final SlabLedger ledger = new SlabLedger(4096);
    private final Counter completions;

    /**
     * @param outbox  directory that also receives {@code NAME_seg.nii.gz} / {@code NAME_stats.json}, or {@code null}
     * @param threads worker threads for assembly and export (each holds a case in memory)
     */
    public PostprocessService(StreamingRuntime runtime, ModelCard card, Path outbox, int threads) {
        this.runtime = runtime;
        this.card = card;
        this.outbox = outbox;
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
     * again, identical to the first, in case the crash came before they were.
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
        List<SlabLabels> slabs = new ArrayList<>(slabCount);
        for (int i = 0; i < slabCount; i++) {
            slabs.add(SlabLabels.decode(store.get(BlobKeys.slabLabels(caseId, i))));
        }
        SlabLabels net = SlabLabels.stitch(slabs, manifest.properties().resampledShape()[0]);
        slabs.clear();
        ExportMode mode;
        try {
            mode = ExportMode.parse(CaseOptions.export(manifest.options()));
        } catch (IllegalArgumentException e) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "case option export must be nearest or linear");
        }
        LabelMask mask = net.bytes() != null
                ? MaskExporter.export(net.bytes(), manifest.properties(), mode)
                : MaskExporter.export(net.shorts(), manifest.properties(), mode);

        Path tmp = tempDir();
        try {
            Path input = tmp.resolve("input.nii.gz");
            Files.write(input, store.get(manifest.input()));
            Volume image = NiftiReader.read(input).require3d();
            NiftiHeader header = image.header();
            Path maskFile = tmp.resolve("mask.nii.gz");
            MaskExporter.write(maskFile, mask, header);
            BlobRef maskRef = store.putFile(BlobKeys.mask(caseId), maskFile);

            Volume labels = labelVolume(header, mask);
            StatsReport report = ClassStatistics.compute(image, labels, card.classes());
            Path statsFile = tmp.resolve("stats.json");
            StatsJson.write(report, statsFile);

            Path previewFile = null;
            if (CaseOptions.preview(manifest.options())) {
                previewFile = tmp.resolve("preview.png");
                PreviewRenderer.write(new PreviewRenderer().render(image, labels, card.classes(), Window.CT), previewFile);
                store.putFile(BlobKeys.preview(caseId), previewFile);
            }
            if (outbox != null) {
                String name = outputName(manifest.inputName());
                copyToOutbox(maskFile, name + "_seg.nii.gz");
                copyToOutbox(statsFile, name + "_stats.json");
                if (previewFile != null) {
                    copyToOutbox(previewFile, name + "_preview.png");
                }
            }
            // Statistics last: with them stored every other output is (CaseOutputs.present), so a
            // redelivery after a crash republishes instead of rewriting.
            BlobRef statsRef = store.putFile(BlobKeys.stats(caseId), statsFile);
            completions.increment();
            return completion(caseId, manifest.inputName(), maskRef, statsRef, slabCount);
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "postprocess scratch file failed", e);
        } finally {
            deleteTree(tmp);
        }
    }

    /**
     * The case name outputs are called after: the file name without {@code .nii[.gz]}, as
     * {@code predict} names its outputs; anything that could leave the outbox is refused.
     */
    public static String outputName(String inputName) {
        String name = inputName;
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".nii.gz")) {
            name = name.substring(0, name.length() - ".nii.gz".length());
        } else if (lower.endsWith(".nii")) {
            name = name.substring(0, name.length() - ".nii".length());
        }
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")
                || !StandardCharsets.UTF_8.newEncoder().canEncode(name) || name.chars().anyMatch(ch -> ch < 0x20)) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "input name is not a plain file name");
        }
        return name;
    }

    private void copyToOutbox(Path file, String name) throws IOException {
        Files.createDirectories(outbox);
        Path partial = outbox.resolve("." + name + ".partial");
        Files.copy(file, partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, outbox.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Volume labelVolume(NiftiHeader input, LabelMask mask) {
        NiftiHeader grid = input.withShape(input.nx(), input.ny(), input.nz());
        if (mask.fitsUint8()) {
            return Volume.wrap(grid.withDataType(DataType.UINT8), mask.toUint8());
        }
        return Volume.wrap(grid.withDataType(DataType.UINT16), mask.labels());
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("stunet-postprocess-");
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot create a scratch directory", e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // scratch space only; the next case uses a fresh directory
        }
    }

    /** Releases the worker pool. */
    public void close() {
        workers.close();
    }
}
