package io.stunet.streaming;

import io.stunet.cases.ClassSelection;
import io.stunet.config.StunetConfig;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.kafka.CaseStatusView;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.model.ModelCard;
import io.stunet.ingest.IngestService;
import io.stunet.ingest.RefusedInputException;
import io.stunet.ingest.SubmitOptions;
import io.stunet.ingest.Submission;
import io.vertx.core.Future;
import io.stunet.postprocess.CaseArtifact;
import io.stunet.predict.CaseFiles;
import io.stunet.predict.CaseSegmenter;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.store.BlobKeys;
import io.stunet.store.ClaimCheckStore;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What {@code stunet run} does, callable from tests and benchmarks: one JVM with the embedded
 * broker (data under the work directory, so a restart resumes), the claim-check store, every
 * stage, and ingest's {@link IngestService} (its status view and submission path). Every NIfTI
 * file of the input directory is submitted the way ingest takes any input (a case already
 * known with the same input, model and options is not computed again; an unusable file is
 * dead-lettered by ingest),
 * progress is reported from the status topic (a listener on the status view), and each
 * completed case's outputs are written from the store into the output directory under the
 * names {@code predict} uses ({@link CaseArtifact.Kind}).
 */
public final class PipelineRun {
    /** Options of one run; {@code config} may be {@code null}, {@code classes} empty for all. */
    public record Options(Path input, Path output, Path model, Path work, List<String> devices, int slabs, boolean tta,
                          double step, int batch, String export, boolean preview, List<String> classes,
                          boolean perClass, int intake, Path config, Duration timeout) {
        public Options {
            classes = List.copyOf(classes);
        }
    }

    /** How one case ended. {@code code} and {@code message} are set when it failed. */
    public record CaseOutcome(String name, String caseId, CaseState state, ErrorCode code, String message) {
    }

    /** A status change seen during the run (the stage timeline). */
    public record Event(String caseId, CaseState state, String stage, double progress, long atMillis) {
    }

    /** Every case's outcome, the wall time from first submission to the last final state, the events. */
    public record Result(List<CaseOutcome> cases, double seconds, List<Event> events) {
        public long failed() {
            return cases.stream().filter(c -> c.state() != CaseState.COMPLETED).count();
        }
    }

    private PipelineRun() {
    }

    /** The configuration {@code run} uses: the file and environment, then the command-line options. */
    public static StunetConfig config(Options o) {
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put(StunetConfig.KAFKA_EMBEDDED_DIR.name(), o.work().resolve("kafka").toString());
        overrides.put(StunetConfig.STORE_LOCAL_ROOT.name(), o.work().resolve("blobs").toString());
        overrides.put(StunetConfig.INGEST_UPLOAD_DIR.name(), o.work().resolve("uploads").toString());
        overrides.put(StunetConfig.MODEL_DIR.name(), o.model().toString());
        overrides.put(StunetConfig.PIPELINE_SLABS.name(), Integer.toString(o.slabs()));
        overrides.put(StunetConfig.INFER_DEVICES.name(), String.join(",", o.devices()));
        overrides.put(StunetConfig.INFER_BATCH.name(), Integer.toString(o.batch()));
        overrides.put(StunetConfig.INFER_TTA.name(), Boolean.toString(o.tta()));
        overrides.put(StunetConfig.INFER_STEP.name(), Double.toString(o.step()));
        overrides.put(StunetConfig.INFER_INTAKE.name(), Integer.toString(o.intake()));
        // One JVM runs the whole cohort: the next case's class sums reuse the finished one's heap.
        overrides.put(StunetConfig.INFER_COLLECT_AFTER_SLAB.name(), "true");
        return StunetConfig.load(o.config(), System.getenv(), overrides);
    }

    /**
     * Runs the folder to the end. {@code progress} gets (done fraction over all cases, a short
     * detail) from the status view's thread.
     */
    public static Result run(Options o, Consumer<double[]> progress) {
        List<CaseFiles.CaseInput> inputs = CaseFiles.inputs(o.input());
        if (inputs.isEmpty()) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "no .nii or .nii.gz files and no DICOM series in " + o.input());
        }
        boolean dicom = inputs.get(0) instanceof CaseFiles.DicomInput;
        ModelCard card = ModelCard.load(o.model());
        String modelSha = card.modelSha256() != null ? card.modelSha256() : ModelCard.sha256(card.modelFile());
        // Unknown class names are a usage error: report them before anything starts.
        ClassSelection.resolve(o.classes(), card.classes());
        Map<String, String> options = SubmitOptions.canonical(o.tta(), o.step(), o.export(), o.preview(), o.classes(),
                o.perClass());
        StunetConfig config = config(o);
        createDirectories(o.output());
        Vertx vertx = Vertx.vertx();
        StreamingRuntime rt = null;
        StageDeployment stages = null;
        IngestService ingest = null;
        CaseStatusView view = null;
        try {
            rt = StreamingRuntime.start(vertx, config, "run", EmbeddedBroker::start);
            stages = StageDeployment.deploy(rt, EnumSet.allOf(StageDeployment.Role.class));
            ingest = new IngestService(rt, modelSha, options);
            view = ingest.statusView();
            ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
            view.addListener(s -> events.add(new Event(s.caseId(), s.state(), s.stage(), s.progress(), s.updatedAtMillis())));
            waitFor(view::caughtUp, Duration.ofSeconds(60), "status view did not catch up");

            // Ingest's code path: hash, case id, existing result reused, header check, store, RECEIVED, CaseSubmitted.
            Map<String, List<String>> names = new LinkedHashMap<>();
            long start = System.nanoTime();
            if (dicom) {
                // One path for series: ingest scans the location again, assembles and stores each series.
                Map<String, Future<Submission>> series = StageDeployment.await(ingest.submitDicom(o.input(), options));
                for (Map.Entry<String, Future<Submission>> e : series.entrySet()) {
                    Future<Submission> f = e.getValue();
                    String id = f.succeeded() ? f.result().caseId() : refusedCaseId(f.cause());
                    names.computeIfAbsent(id, k -> new ArrayList<>()).add(e.getKey());
                }
            } else {
                for (CaseFiles.CaseInput c : inputs) {
                    Path f = ((CaseFiles.NiftiInput) c).file();
                    String id;
                    try {
                        id = StageDeployment.await(ingest.submitFile(f, options));
                    } catch (RefusedInputException e) {
                        // Ingest dead-lettered it and published FAILED with the reader's code; the summary shows it.
                        id = e.caseId();
                    }
                    names.computeIfAbsent(id, k -> new ArrayList<>()).add(c.name());
                }
            }
            // Progress and the end of the run come from the status view's listener, not from polling it.
            Tracker tracker = new Tracker(view, names.keySet(), progress);
            Runnable stopTracking = view.addListener(s -> tracker.update());
            try {
                tracker.update();
                tracker.await(o.timeout());
            } finally {
                stopTracking.run();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            List<CaseOutcome> outcomes = new ArrayList<>();
            for (Map.Entry<String, List<String>> e : names.entrySet()) {
                CaseStatus s = view.get(e.getKey()).orElse(null);
                for (String name : e.getValue()) {
                    if (s != null && s.state() == CaseState.COMPLETED) {
                        writeOutputs(rt.store(), e.getKey(), name, o.output());
                        outcomes.add(new CaseOutcome(name, e.getKey(), CaseState.COMPLETED, null, null));
                    } else if (s != null && s.state() == CaseState.FAILED) {
                        outcomes.add(new CaseOutcome(name, e.getKey(), CaseState.FAILED, s.errorCode(), s.errorMessage()));
                    } else {
                        outcomes.add(new CaseOutcome(name, e.getKey(), s == null ? CaseState.RECEIVED : s.state(),
                                ErrorCode.INTERNAL, "not finished before the timeout"));
                    }
                }
            }
            return new Result(outcomes, seconds, List.copyOf(events));
        } finally {
            if (ingest != null) {
                ingest.close();
            }
            if (stages != null) {
                stages.close();
            }
            if (rt != null) {
                rt.close();
            }
            StageDeployment.await(vertx.close());
        }
    }

    /**
     * Writes every output a completed case has in the store ({@link CaseArtifact.Kind}, every
     * part of a kind with parts) as {@code out/NAME + suffix (+ part)} through
     * {@link io.stunet.files.AtomicFiles}; the mask, the statistics and the label table must be there.
     */
    public static void writeOutputs(ClaimCheckStore store, String caseId, String name, Path out) {
        List<CaseArtifact> artifacts = new ArrayList<>();
        for (CaseArtifact.Kind kind : CaseArtifact.Kind.values()) {
            String key = BlobKeys.output(caseId, kind.storeName());
            if (kind.hasParts()) {
                for (String k : store.list(key)) {
                    artifacts.add(new CaseArtifact(kind, k.substring(key.length()), store.get(k)));
                }
            } else if (store.exists(key)) {
                artifacts.add(new CaseArtifact(kind, store.get(key)));
            } else if (kind == CaseArtifact.Kind.MASK || kind == CaseArtifact.Kind.STATS
                    || kind == CaseArtifact.Kind.LABELS) {
                throw new StunetException(ErrorCode.NOT_FOUND, "completed case lacks its " + kind.storeName());
            }
        }
        CaseSegmenter.write(artifacts, name, out);
    }

    private static String refusedCaseId(Throwable cause) {
        if (cause instanceof RefusedInputException r) {
            return r.caseId();
        }
        throw cause instanceof StunetException s ? s : new StunetException(ErrorCode.INTERNAL, "series not submitted", cause);
    }

    /** Done fraction and end of the run from status changes (called on the view's thread). */
    private static final class Tracker {
        private final CaseStatusView view;
        private final List<String> caseIds;
        private final Consumer<double[]> progress;
        private final CountDownLatch finished = new CountDownLatch(1);

        Tracker(CaseStatusView view, java.util.Collection<String> caseIds, Consumer<double[]> progress) {
            this.view = view;
            this.caseIds = List.copyOf(caseIds);
            this.progress = progress;
        }

        synchronized void update() {
            double sum = 0;
            int finals = 0;
            for (String id : caseIds) {
                CaseStatus s = view.get(id).orElse(null);
                if (s != null) {
                    sum += s.state().isFinal() ? 1.0 : s.progress();
                    finals += s.state().isFinal() ? 1 : 0;
                }
            }
            if (finished.getCount() > 0) {
                progress.accept(new double[] {sum / caseIds.size(), finals, caseIds.size()});
            }
            if (finals == caseIds.size()) {
                finished.countDown();
            }
        }

        /** Until every case is final, or {@code timeout} ({@code null}: none) has passed. */
        void await(Duration timeout) {
            try {
                if (timeout == null) {
                    finished.await();
                } else {
                    finished.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StunetException(ErrorCode.INTERNAL, "interrupted", e);
            }
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot create output directory " + dir, e);
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout, String what) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new StunetException(ErrorCode.BROKER_FAILURE, what);
            }
            sleep(50);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StunetException(ErrorCode.INTERNAL, "interrupted", e);
        }
    }
}
