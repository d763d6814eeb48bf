package io.stunet.ingest;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidVolumeException;
import io.stunet.error.StunetException;
import io.stunet.kafka.CaseStatusView;
import io.stunet.kafka.Outbound;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.nifti.NiftiReader;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one code path every input takes into the pipeline (upload, URI, inbox, {@code run}):
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
            Promise<Submission> promise = Promise.promise();
            Future<Submission> shared = pending.putIfAbsent(caseId, promise.future());
            if (shared != null) {
                return shared.map(s -> new Submission(s.caseId(), s.status(), true));
            }
            doSubmit(file, inputName, opts, sha, caseId).onComplete(ar -> {
                pending.remove(caseId);
                if (ar.succeeded()) {
                    metrics.caseOutcome(source, ar.result().existing() ? "existing" : "accepted");
                } else {
                    metrics.caseOutcome(source, ar.cause() instanceof RefusedInputException ? "refused" : "error");
                }
                promise.handle(ar);
            });
            return promise.future();
        });
    }

    private Future<Submission> doSubmit(Path file, String inputName, Map<String, String> opts, String sha, String caseId) {
        Optional<CaseStatus> existing = status(caseId);
        if (existing.isPresent() && existing.get().state() != CaseState.FAILED) {
            LOG.info("event=case_existing case={} state={}", caseId, existing.get().state());
            return Future.succeededFuture(new Submission(caseId, existing.get(), true));
        }
        return vertx.executeBlocking(() -> validateAndStore(file, sha, caseId), false).compose(stored -> {
            // Without a name the case id names the outputs: unique, and free of patient data.
            String name = inputName != null ? inputName : caseId + ".nii.gz";
            CaseSubmitted submitted = new CaseSubmitted(caseId, stored.ref(), name, modelSha256, opts,
                    System.currentTimeMillis());
            if (stored.refusal() != null) {
                return refuse(submitted, stored.refusal());
            }
            CaseStatus received = CaseStatus.of(caseId, CaseState.RECEIVED, 0.0, STAGE);
            // Status first: a RECEIVED arriving after a stage's PREPROCESSING would move the case back.
            return runtime.publisher().publish(Outbound.status(received))
                    .compose(v -> runtime.publisher().publish(Outbound.of(Topics.CASE_SUBMITTED, submitted)))
                    .map(v -> {
                        recent.put(caseId, received);
                        LOG.info("event=case_submitted case={} bytes={}", caseId, stored.ref().size());
                        return new Submission(caseId, received, false);
                    });
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
