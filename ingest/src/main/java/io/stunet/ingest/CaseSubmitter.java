package io.stunet.ingest;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidVolumeException;
import io.stunet.error.StunetException;
import io.stunet.dicom.DicomCases;
import io.stunet.dicom.DicomFile;
import io.stunet.dicom.DicomSeries;
import io.stunet.dicom.SeriesInfoJson;
import io.stunet.dicom.Tag;
import io.stunet.error.InvalidDicomException;
import io.stunet.kafka.CaseStatusView;
import io.stunet.nifti.NiftiWriter;
import io.stunet.kafka.Outbound;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.nifti.NiftiReader;
import io.stunet.pipeline.FaultPoints;
import io.stunet.records.BlobRef;
import io.stunet.records.CaseIds;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.CaseSubmitted;
import io.stunet.records.DeadLetter;
import io.stunet.records.RecordCodec;
import io.stunet.store.BlobKeys;
import io.stunet.store.ClaimCheckStore;
import io.stunet.store.Digests;
import io.stunet.topics.Topics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one code path every input takes into the pipeline (upload, URI, inbox, {@code run};
 * DICOM series from {@code run}, the inbox, STOW-RS and the storage SCP via {@link #submitDicom}):
 * hash the file, derive the case id, return the existing case if there is one, check the
 * NIfTI header, store the bytes as {@code cases/{id}/input.nii.gz}, publish RECEIVED and then
 * {@code CaseSubmitted}. An input whose header is not usable is refused here: its bytes are
 * stored under the same key for inspection, and a {@code DeadLetter} (stage {@code ingest})
 * plus a FAILED status are published, so operators see it exactly like a failure in a stage.
 * Concurrent submissions of the same case share one future.
 */
final class CaseSubmitter {
    private static final Logger LOG = LoggerFactory.getLogger(CaseSubmitter.class);
    static final String STAGE = "ingest";
    private static final int RECENT_LIMIT = 10_000;

    private final Vertx vertx;
    private final StreamingRuntime runtime;
    private final ClaimCheckStore store;
    private final String modelSha256;
    private final CaseStatusView view;
    private final IngestMetrics metrics;
    private final UriRoots roots;
    private final Path spoolDir;
    private final Map<String, Future<Submission>> pending = new ConcurrentHashMap<>();
    /** Statuses this process published, for the moment before the view has read them back. */
    private final Map<String, CaseStatus> recent = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, CaseStatus> eldest) {
                    return size() > RECENT_LIMIT;
                }
            });

    CaseSubmitter(StreamingRuntime runtime, String modelSha256, CaseStatusView view, IngestMetrics metrics,
                  UriRoots roots, Path spoolDir) {
        if (modelSha256 == null || !modelSha256.matches("[0-9a-fA-F]{64}")) {
            throw new StunetException(ErrorCode.INVALID_MODEL, "model sha256 must be 64 hex characters");
        }
        this.vertx = runtime.vertx();
        this.runtime = runtime;
        this.store = runtime.store();
        this.modelSha256 = modelSha256.toLowerCase();
        this.view = view;
        this.metrics = metrics;
        this.roots = roots;
        this.spoolDir = spoolDir;
    }

    /** Resolves a {@code uri} against the configured roots (spooling S3 objects) and submits it. */
    Future<Submission> submitUri(String uri, String name, Map<String, String> options, String source) {
        return vertx.executeBlocking(() -> roots.resolve(uri, spoolDir), false).compose(r ->
                submit(r.file(), name != null ? name : r.name(), options, source).onComplete(ar -> {
                    if (r.temporary()) {
                        vertx.executeBlocking(() -> {
                            UriRoots.deleteQuietly(r.file());
                            return null;
                        }, false);
                    }
                }));
    }

    /** The latest status of a case: the view's, or what this process published when the view lags. */
    Optional<CaseStatus> status(String caseId) {
        Optional<CaseStatus> seen = view.get(caseId);
        if (seen.isPresent()) {
            return seen;
        }
        return Optional.ofNullable(recent.get(caseId));
    }

    /**
     * Submits a local NIfTI file ({@code .nii} or {@code .nii.gz} name; compression is
     * recognised by content). The file is read, not moved or deleted.
     *
     * @param inputName name used for output files (may carry patient data: never logged);
     *                  {@code null}: the case id
     * @param source    metrics label: http, uri, inbox or api
     */
    Future<Submission> submit(Path file, String inputName, Map<String, String> opts, String source) {
        return submit(file, null, inputName, opts, source);
    }

    /**
     * As {@link #submit(Path, String, Map, String)} with the file's SHA-256 already known
     * (uploads hash while they are received, saving a read of the whole file); {@code null}
     * to hash here. The store's own digest is checked against it.
     */
    Future<Submission> submit(Path file, String knownSha256, String inputName, Map<String, String> opts, String source) {
        return awaitView().compose(v -> knownSha256 != null ? Future.succeededFuture(knownSha256)
                : vertx.executeBlocking(() -> sha256(file), false)).compose(sha -> {
            String caseId = CaseIds.derive(sha, modelSha256, opts);
            return once(caseId, source, () -> doSubmit(file, inputName, opts, sha, caseId));
        });
    }

    /**
     * Runs {@code work} for a case unless a submission of the same case is in flight (then its
     * future is shared), and counts the outcome.
     */
    private Future<Submission> once(String caseId, String source, java.util.function.Supplier<Future<Submission>> work) {
        Promise<Submission> promise = Promise.promise();
        Future<Submission> shared = pending.putIfAbsent(caseId, promise.future());
        if (shared != null) {
            return shared.map(s -> new Submission(s.caseId(), s.status(), true));
        }
        work.get().onComplete(ar -> {
            pending.remove(caseId);
            if (ar.succeeded()) {
                metrics.caseOutcome(source, ar.result().existing() ? "existing" : "accepted");
            } else {
                metrics.caseOutcome(source, ar.cause() instanceof RefusedInputException ? "refused" : "error");
            }
            promise.handle(ar);
        });
        return promise.future();
    }

    /**
     * Submits every DICOM series of a folder (recursively) or {@code .zip} archive, one case
     * per series, named by {@link DicomCases} from {@code baseName} ({@code null}: each case
     * is named by its id, as for a network series whose sender gave no name). Each series
     * goes through {@link #submitSeries}. Completes with one result per series by case name,
     * in scan order: the submission, or the {@link RefusedInputException} of a refused series.
     * A location whose series cannot be told apart (no DICOM file, a Part 10 file that does
     * not parse) is one refused case, named by {@code baseName}, whose case id derives from
     * the location's bytes.
     */
    Future<Map<String, Future<Submission>>> submitDicom(Path location, String baseName, Map<String, String> opts, String source) {
        return awaitView().compose(v -> vertx.executeBlocking(() -> {
            try {
                Map<String, List<DicomFile>> bySeries = DicomSeries.scan(location);
                if (bySeries.isEmpty()) {
                    throw new InvalidDicomException(ErrorCode.INVALID_DICOM, "no DICOM series found in the input");
                }
                return DicomCases.name(baseName == null ? "series" : baseName, List.copyOf(bySeries.values()));
            } catch (InvalidDicomException e) {
                return e;
            }
        }, false)).compose(scanned -> {
            if (scanned instanceof InvalidDicomException e) {
                // Not even the series can be told apart: the whole location is one refused case.
                return vertx.executeBlocking(() -> zipOf(location), false).compose(zip -> {
                    String caseId = CaseIds.derive(Digests.sha256Hex(zip), modelSha256, opts);
                    Future<Submission> refused = once(caseId, source, () -> vertx.executeBlocking(
                            () -> new Stored(store.put(BlobKeys.output(caseId, "input.zip"), zip), e), false)
                            .compose(stored -> publish(caseId, stored, baseName != null ? baseName : caseId, opts)));
                    return refused.transform(ar -> Future.succeededFuture(Map.of(baseName != null ? baseName : "series", refused)));
                });
            }
            @SuppressWarnings("unchecked")
            List<DicomCases.NamedSeries> series = (List<DicomCases.NamedSeries>) scanned;
            Map<String, Future<Submission>> each = new LinkedHashMap<>();
            for (DicomCases.NamedSeries s : series) {
                each.put(s.name(), submitSeries(s, baseName == null ? null : s.name(), location, opts, source));
            }
            return Future.join(List.copyOf(each.values())).transform(ar -> Future.succeededFuture(each));
        });
    }

    /**
     * One DICOM series as a case. The case id derives from the series' SeriesInstanceUID and
     * sorted SOP Instance UIDs (a series handed over again, e.g. by the spool after a
     * restart, is the same case and is not computed twice); the series is assembled with
     * the core codec ({@link DicomSeries}), its volume stored as the case's
     * {@code input.nii.gz} and its description ({@link SeriesInfoJson}: UIDs, grid,
     * patient/study module) as {@code dicom.json}, which postprocess turns into a DICOM SEG.
     * A series that does not assemble is refused like an unusable NIfTI (DLQ + FAILED, with
     * the codec's error code); the location it came from is stored zipped as
     * {@code input.zip} for inspection.
     */
    private Future<Submission> submitSeries(DicomCases.NamedSeries series, String inputName, Path location,
                                            Map<String, String> opts, String source) {
        String caseId = CaseIds.derive(seriesDigest(series.instances()), modelSha256, opts);
        return once(caseId, source, () -> existing(caseId).compose(existing -> existing.isPresent()
                ? Future.succeededFuture(existing.get())
                : vertx.executeBlocking(() -> storeSeries(series, location, caseId), false)
                        .compose(stored -> publish(caseId, stored, inputName != null ? inputName : caseId, opts))));
    }

    private Stored storeSeries(DicomCases.NamedSeries series, Path location, String caseId) {
        DicomSeries assembled;
        try {
            assembled = DicomSeries.assemble(series.instances());
        } catch (InvalidDicomException e) {
            return new Stored(store.put(BlobKeys.output(caseId, "input.zip"), zipOf(location)), e);
        }
        store.put(BlobKeys.dicomSeries(caseId), SeriesInfoJson.encode(assembled.info()));
        BlobRef ref = store.put(BlobKeys.input(caseId), NiftiWriter.encode(assembled.volume(), true));
        LOG.info("event=dicom_series_assembled case={} slices={}", caseId, assembled.info().slices());
        return new Stored(ref, null);
    }

    /** The digest a DICOM series' case id derives from: its identity, not its bytes (which senders may re-encode). */
    static String seriesDigest(List<DicomFile> instances) {
        List<String> uids = new java.util.ArrayList<>(instances.size());
        for (DicomFile f : instances) {
            String u = f.dataset().getString(Tag.SOPInstanceUID);
            uids.add(u == null ? "" : u);
        }
        uids.sort(null);
        String seriesUid = instances.get(0).dataset().getString(Tag.SeriesInstanceUID);
        MessageDigest md = Digests.sha256();
        md.update(("stunet.dicom-series\n" + seriesUid + "\n" + String.join("\n", uids))
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return Digests.hex(md);
    }

    /** A folder's regular files (relative names) as a zip, or a zip archive's bytes as they are. */
    private static byte[] zipOf(Path location) {
        try {
            if (!Files.isDirectory(location)) {
                return Files.readAllBytes(location);
            }
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes);
                 java.util.stream.Stream<Path> walk = Files.walk(location)) {
                for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                    zip.putNextEntry(new java.util.zip.ZipEntry(location.relativize(p).toString().replace('\\', '/')));
                    Files.copy(p, zip);
                    zip.closeEntry();
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot read DICOM input: " + e.getClass().getSimpleName(), e);
        }
    }

    private Future<Submission> doSubmit(Path file, String inputName, Map<String, String> opts, String sha, String caseId) {
        // Without a name the case id names the outputs: unique, and free of patient data.
        return existing(caseId).compose(existing -> existing.isPresent()
                ? Future.succeededFuture(existing.get())
                : vertx.executeBlocking(() -> validateAndStore(file, sha, caseId), false)
                        .compose(stored -> publish(caseId, stored, inputName != null ? inputName : caseId + ".nii.gz", opts)));
    }

    /**
     * The known case, unless it is unknown, FAILED (a failed case may be submitted again) or
     * RECEIVED without the {@link BlobKeys#submitted} mark: ingest stopped after publishing
     * RECEIVED and before {@code CaseSubmitted} was on its topic, so nothing would ever
     * process the case unless it is published again.
     */
    private Future<Optional<Submission>> existing(String caseId) {
        Optional<CaseStatus> existing = status(caseId);
        if (existing.isEmpty() || existing.get().state() == CaseState.FAILED) {
            return Future.succeededFuture(Optional.empty());
        }
        CaseStatus s = existing.get();
        Future<Boolean> handedOver = s.state() != CaseState.RECEIVED ? Future.succeededFuture(true)
                : vertx.executeBlocking(() -> store.exists(BlobKeys.submitted(caseId)), false);
        return handedOver.map(submitted -> {
            if (!submitted) {
                LOG.warn("event=case_not_handed_over case={} state=RECEIVED action=submit_again", caseId);
                return Optional.empty();
            }
            LOG.info("event=case_existing case={} state={}", caseId, s.state());
            return Optional.of(new Submission(caseId, s, true));
        });
    }

    /**
     * Publishes a stored input: RECEIVED, then {@code CaseSubmitted}, then the
     * {@link BlobKeys#submitted} mark in the store; or the refusal.
     */
    private Future<Submission> publish(String caseId, Stored stored, String name, Map<String, String> opts) {
        CaseSubmitted submitted = new CaseSubmitted(caseId, stored.ref(), name, modelSha256, opts,
                System.currentTimeMillis());
        if (stored.refusal() != null) {
            return refuse(submitted, stored.refusal());
        }
        CaseStatus received = CaseStatus.of(caseId, CaseState.RECEIVED, 0.0, STAGE);
        // Status first: a RECEIVED arriving after a stage's PREPROCESSING would move the case back.
        return runtime.publisher().publish(Outbound.status(received))
                .compose(v -> FaultPoints.pass(FaultPoints.INGEST_AFTER_RECEIVED, caseId))
                .compose(v -> runtime.publisher().publish(Outbound.of(Topics.CASE_SUBMITTED, submitted)))
                .compose(v -> FaultPoints.pass(FaultPoints.INGEST_AFTER_SUBMITTED, caseId))
                .compose(v -> vertx.executeBlocking(() -> store.put(BlobKeys.submitted(caseId), RecordCodec.encode(submitted)), false))
                .map(v -> {
                    recent.put(caseId, received);
                    LOG.info("event=case_submitted case={} bytes={}", caseId, stored.ref().size());
                    return new Submission(caseId, received, false);
                });
    }

    private record Stored(BlobRef ref, StunetException refusal) {
    }

    private Stored validateAndStore(Path file, String sha, String caseId) {
        StunetException refusal = null;
        try {
            NiftiReader.readHeader(file);
        } catch (InvalidVolumeException e) {
            refusal = e;
        }
        BlobRef ref = store.putFile(BlobKeys.input(caseId), file);
        if (!ref.sha256().equals(sha)) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "input changed while it was being read");
        }
        return new Stored(ref, refusal);
    }

    private Future<Submission> refuse(CaseSubmitted submitted, StunetException why) {
        String caseId = submitted.caseId();
        CaseStatus failed = CaseStatus.failed(caseId, why.code(), why.getMessage(), STAGE);
        DeadLetter letter = new DeadLetter(caseId, Topics.CASE_SUBMITTED, -1, -1L, caseId,
                Base64.getEncoder().encodeToString(RecordCodec.encode(submitted)), STAGE, why.code(),
                why.getMessage(), 1, System.currentTimeMillis());
        LOG.warn("event=input_refused case={} code={} message=\"{}\"", caseId, why.code(), why.getMessage());
        return runtime.publisher().publish(Outbound.status(failed))
                .compose(v -> runtime.publisher().publish(Outbound.of(Topics.DLQ, letter)))
                .compose(v -> {
                    recent.put(caseId, failed);
                    return Future.failedFuture(new RefusedInputException(caseId, why));
                });
    }

    /** The existing-case check needs the view to have read the status topic once. */
    private Future<Void> awaitView() {
        if (view.caughtUp()) {
            return Future.succeededFuture();
        }
        Promise<Void> p = Promise.promise();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        vertx.setPeriodic(20, id -> {
            if (view.caughtUp()) {
                vertx.cancelTimer(id);
                p.tryComplete();
            } else if (System.nanoTime() > deadline) {
                vertx.cancelTimer(id);
                p.tryFail(new StunetException(ErrorCode.BROKER_FAILURE, "case status topic not readable"));
            }
        });
        return p.future();
    }

    private static String sha256(Path file) {
        try {
            return Digests.sha256Hex(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "input file not found");
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot read input: " + e.getClass().getSimpleName(), e);
        }
    }
}
