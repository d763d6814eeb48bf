package io.stunet.chaos;

import io.stunet.kafka.TopicDump;
import io.stunet.config.StunetConfig;
import io.stunet.ingest.IngestService;
import io.stunet.ingest.SubmitOptions;
import io.stunet.kafka.CaseStatusView;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.model.ModelCard;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.StunetRecord;
import io.stunet.store.BlobKeys;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The test's side of a multi-process pipeline: submits through ingest's code path
 * ({@link IngestService#submitFile}) against the external broker, records every state change
 * the status view shows per case (what ingest's API, SSE and {@code run} see), notes the
 * identity (inode, mtime) of each mask blob when its case first turns COMPLETED, and reads
 * topics from the beginning.
 */
final class Client implements AutoCloseable {
    final Vertx vertx = Vertx.vertx();
    final StreamingRuntime runtime;
    final IngestService ingest;
    final CaseStatusView view;
    final Map<String, String> options = SubmitOptions.canonical(false, 0.5, "nearest", false);
    private final Path blobs;
    private final Map<String, List<CaseState>> changes = new ConcurrentHashMap<>();
    private final Map<String, Long> completedAtNanos = new ConcurrentHashMap<>();
    private final Map<String, String> maskIdentity = new ConcurrentHashMap<>();

    Client(String bootstrap, Path blobs, Path model, Path uploads) {
        this.blobs = blobs;
        StunetConfig cfg = StunetConfig.load(null, Map.of(), Map.of(
                StunetConfig.KAFKA_BOOTSTRAP.name(), bootstrap,
                StunetConfig.STORE_LOCAL_ROOT.name(), blobs.toString(),
                StunetConfig.INGEST_UPLOAD_DIR.name(), uploads.toString(),
                StunetConfig.MODEL_DIR.name(), model.toString()));
        runtime = StreamingRuntime.start(vertx, cfg, "chaos-test", null);
        ingest = new IngestService(runtime, ModelCard.load(model).modelSha256(), options);
        view = ingest.statusView();
        view.addListener(this::record);
        await(view::caughtUp, Duration.ofSeconds(60), "status view did not catch up");
    }

    private void record(CaseStatus s) {
        changes.computeIfAbsent(s.caseId(), k -> new CopyOnWriteArrayList<>()).add(s.state());
        if (s.state() == CaseState.COMPLETED) {
            completedAtNanos.putIfAbsent(s.caseId(), System.nanoTime());
            maskIdentity.putIfAbsent(s.caseId(), maskIdentity(s.caseId()));
        }
    }

    /** Inode and modification time of a case's mask blob: a rewrite (temp file + rename) changes both. */
    String maskIdentity(String caseId) {
        return fileIdentity(blobs.resolve(BlobKeys.mask(caseId)));
    }

    static String fileIdentity(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return a.fileKey() + "@" + a.lastModifiedTime().toMillis();
        } catch (IOException e) {
            return "missing";
        }
    }

    /** Submits every file; returns case id -> case name. */
    Map<String, String> submitAll(Collection<Path> files) {
        Map<String, String> ids = new java.util.LinkedHashMap<>();
        for (Path f : files) {
            ids.put(await(ingest.submitFile(f, options)), io.stunet.predict.CaseFiles.caseName(f));
        }
        return ids;
    }

    /** The state changes the view showed for a case, in order. */
    List<CaseState> changes(String caseId) {
        return changes.getOrDefault(caseId, List.of());
    }

    String firstMaskIdentity(String caseId) {
        return maskIdentity.get(caseId);
    }

    long completedCount(Collection<String> ids) {
        return ids.stream().filter(id -> view.get(id).map(s -> s.state() == CaseState.COMPLETED).orElse(false)).count();
    }

    /** When the view first showed the case COMPLETED ({@link System#nanoTime()}), or null. */
    Long completedAt(String caseId) {
        return completedAtNanos.get(caseId);
    }

    /**
     * Waits until every case has a final state and this client's listener has recorded it (the
     * view publishes a status before it calls its listeners, so a reader can see it first).
     */
    void awaitFinal(Collection<String> ids, Duration timeout) {
        await(() -> ids.stream().allMatch(id -> view.get(id).map(s -> s.state().isFinal() && !changes(id).isEmpty()
                && changes(id).get(changes(id).size() - 1) == s.state()).orElse(false)), timeout,
                "cases did not finish: " + ids.stream().map(id -> id.substring(0, 8) + "=" + view.get(id)
                        .map(s -> s.state().toString()).orElse("none")).toList());
    }

    /** Every record on a topic so far, decoded. */
    <T extends StunetRecord> List<T> read(String topic, Class<T> type) {
        return TopicDump.read(runtime.bootstrap(), topic, type);
    }

    static <T> T await(io.vertx.core.Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(120, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer within 120 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static void await(java.util.function.BooleanSupplier condition, Duration timeout, String what) {
        await(condition, timeout, what, 50);
    }

    /** Polls {@code condition} every {@code pollMillis} until it holds; fails after {@code timeout}. */
    static void await(java.util.function.BooleanSupplier condition, Duration timeout, String what, long pollMillis) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(what + " (after " + timeout + ")");
            }
            ChildJvm.sleep(pollMillis);
        }
    }

    @Override
    public void close() {
        ingest.close();
        runtime.close();
        await(vertx.close());
    }
}
