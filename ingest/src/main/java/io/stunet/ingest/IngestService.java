package io.stunet.ingest;

import io.stunet.nifti.NiftiNames;
import io.stunet.config.StunetConfig;
import io.stunet.ingest.dicom.DicomIngest;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.ingest.dicom.CompletedSeries;
import io.stunet.kafka.CaseStatusView;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.metrics.ServiceRoutes;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The ingest service: how inputs enter the pipeline. It owns a {@link CaseStatusView} of the
 * status topic and the submission path shared by the HTTP API, the inbox watcher and the
 * {@code run} command ({@link #submitFile}). {@link #deploy()} deploys the
 * {@link IngestVerticle} (HTTP server on {@code http.host}/{@code http.port} with the API,
 * {@code /metrics}, {@code /health/*}, and the inbox watcher when {@code ingest.inbox.dir} is
 * set); undeploying it, or closing Vert.x, stops everything and closes the view. Settings come
 * from the runtime's configuration ({@code ingest.*} keys, docs/configuration.md).
 */
public final class IngestService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IngestService.class);

    private final StreamingRuntime runtime;
    private final StunetConfig config;
    private final CaseStatusView view;
    private final CaseSubmitter submitter;
    private final IngestMetrics metrics;
    private final UriRoots roots;
    private final Path spoolDir;
    private final Map<String, String> defaults;
    private volatile boolean closed;
    private volatile IngestVerticle verticle;
    private final DicomIngest dicom;

    /**
     * Starts the status view (a background reader); the HTTP server starts with {@link #deploy()}.
     *
     * @param modelSha256 SHA-256 of the model file cases are segmented with (part of every case id)
     * @param defaults    canonical case options used where a submission gives none
     *                  ({@code run}'s command-line options; see {@link SubmitOptions})
     */
    public IngestService(StreamingRuntime runtime, String modelSha256, Map<String, String> defaults) {
        this.runtime = runtime;
        this.config = runtime.config();
        this.defaults = SubmitOptions.override(defaults, k -> null);
        this.roots = new UriRoots(config);
        this.spoolDir = config.getPath(StunetConfig.INGEST_UPLOAD_DIR);
        this.metrics = new IngestMetrics(runtime.metrics().registry());
        this.view = runtime.statusView();
        metrics.casesByState(view);
        this.submitter = new CaseSubmitter(runtime, modelSha256, view, metrics, roots, spoolDir);
        this.dicom = new DicomIngest(config, this::seriesComplete);
        view.start();
        runtime.health().register("ingest.status-view", view::caughtUp);
    }

    /** With {@code predict}'s default options. */
    public IngestService(StreamingRuntime runtime, String modelSha256) {
        this(runtime, modelSha256, SubmitOptions.defaults());
    }

    /**
     * Creates the service and deploys its verticle on the runtime's Vert.x; the future
     * completes with the service once the HTTP server listens.
     */
    public static Future<IngestService> deploy(StreamingRuntime runtime, String modelSha256) {
        IngestService service = new IngestService(runtime, modelSha256);
        return service.deploy().map(id -> service);
    }

    /** Deploys the HTTP server and inbox watcher; completes with the deployment id. */
    public Future<String> deploy() {
        return deploy(null);
    }

    /**
     * Deploys the inbox watcher and mounts the API on {@code router}, which another HTTP
     * server of this process serves ({@code serve} with several roles on one port); with
     * {@code null}, an own server as {@link #deploy()}. Completes with the deployment id.
     */
    public Future<String> deploy(Router router) {
        IngestVerticle v;
        try {
            String inboxDir = config.getOptional(StunetConfig.INGEST_INBOX_DIR);
            InboxWatcher inbox = inboxDir == null ? null : new InboxWatcher(runtime.vertx(), Path.of(inboxDir),
                    config.getLong(StunetConfig.INGEST_INBOX_STABLE_MS), submitter, defaults);
            if (router != null) {
                mountApi(router);
                v = IngestVerticle.mounted(inbox, this::close);
            } else {
                v = IngestVerticle.serving(router(), config.getString(StunetConfig.HTTP_HOST),
                        config.getInt(StunetConfig.HTTP_PORT), inbox, this::close);
            }
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        verticle = v;
        return runtime.vertx().deployVerticle(v);
    }

    /** The port of the service's own HTTP server (useful with {@code http.port = 0}); -1 when not deployed or mounted on a shared router. */
    public int port() {
        IngestVerticle v = verticle;
        return v == null ? -1 : v.port();
    }

    /**
     * Submits a local NIfTI file as it is ({@code .nii}/{@code .nii.gz}; the file is read,
     * not moved), under its own file name. Completes with the case id, whether the case is
     * new or already known; fails with {@link RefusedInputException} (carrying the case id,
     * recorded in the DLQ and as FAILED) when the file is not a usable NIfTI, or with a
     * {@code StunetException} when the broker or store fails.
     */
    public Future<String> submitFile(Path file, Map<String, String> options) {
        return submit(file, file.getFileName().toString(), options, "api").map(Submission::caseId);
    }

    /** {@link #submitFile} with the full answer (status, whether the case existed). */
    public Future<Submission> submit(Path file, String inputName, Map<String, String> options) {
        return submit(file, inputName, options, "api");
    }

    Future<Submission> submit(Path file, String inputName, Map<String, String> options, String source) {
        Map<String, String> canonical;
        try {
            NiftiNames.requireNifti(file.getFileName().toString());
            canonical = SubmitOptions.override(options, k -> null);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        return submitter.submit(file, inputName, canonical, source);
    }

    /**
     * Submits every DICOM series of a folder (recursively) or {@code .zip} archive, one case
     * per series named by {@link io.stunet.dicom.DicomCases} from the location's name. The
     * result maps each case name to the series' submission, or to its
     * {@link RefusedInputException} (dead-lettered and FAILED with the codec's code) when it
     * is not one usable volume.
     */
    public Future<Map<String, Future<Submission>>> submitDicom(Path location, Map<String, String> options) {
        Map<String, String> canonical;
        try {
            canonical = SubmitOptions.override(options, k -> null);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        return submitter.submitDicom(location, io.stunet.dicom.DicomCases.baseName(location), canonical, "api");
    }

    /**
     * The spool's handoff: the series becomes a case (named by its case id: network senders
     * give no name free of patient data) and its directory is deleted once the case is
     * published or refused. Broker or store trouble throws, which leaves the directory for
     * the next start; handing the same series over again yields the same case.
     */
    private void seriesComplete(CompletedSeries series) throws Exception {
        Map<String, Future<Submission>> each = submitter.submitDicom(series.dir(), null, defaults, "dicom")
                .toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.MINUTES);
        for (Future<Submission> f : each.values()) {
            if (f.failed() && !(f.cause() instanceof RefusedInputException)) {
                throw new StunetException(ErrorCode.BROKER_FAILURE, "series not submitted: " + f.cause().getClass().getSimpleName());
            }
        }
        deleteTree(series.dir());
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(p);
            }
        }
    }

    /** A router with the operational endpoints and the ingest API (what the verticle serves). */
    public Router router() {
        Router router = ServiceRoutes.create(runtime.vertx(), runtime.metrics(), runtime.health());
        mountApi(router);
        return router;
    }

    /**
     * Mounts the ingest API (and {@code /openapi.yaml}) on an existing router. Further APIs
     * of the service are mounted here next to {@link IngestRoutes}, on the same guard and
     * authentication.
     */
    public void mountApi(Router router) {
        List<String> tokens = config.getList(StunetConfig.INGEST_AUTH_TOKENS);
        if (tokens.isEmpty()) {
            LOG.warn("event=ingest_auth_disabled reason=\"ingest.auth.tokens is empty\"");
        }
        new IngestRoutes(runtime.vertx(), submitter, defaults, view, runtime.store(), metrics,
                config.getLong(StunetConfig.INGEST_MAX_BODY_BYTES), spoolDir, tokens).mount(router);
        dicom.start(runtime.vertx(), router);
    }

    /** The DICOM receiver (storage SCP, STOW-RS, series spool). */
    public DicomIngest dicom() {
        return dicom;
    }

    /** The latest status of every case (for {@code run}'s progress and tests). */
    public CaseStatusView statusView() {
        return view;
    }

    /** The canonical options a submission without options gets. */
    public Map<String, String> defaultOptions() {
        return defaults;
    }

    /** Stops the status view; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            runtime.health().unregister("ingest.status-view");
            view.close();
            dicom.close();
        }
    }
}
