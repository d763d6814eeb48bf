package io.stunet.ingest;

import io.stunet.error.StunetException;
import io.stunet.dicom.DicomCases;
import io.stunet.nifti.NiftiNames;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Watches an inbox directory and submits every {@code .nii}/{@code .nii.gz} file in it once
 * the file is complete, through the same code path as an upload, and every {@code .zip} of
 * DICOM series through the series path ({@link CaseSubmitter#submitDicom}, one case per
 * series, named from the archive's name). A file is complete when a
 * marker {@code NAME.done} exists beside it, or when its size and modification time have not
 * changed for the stable interval. Names starting with {@code .} or ending in {@code .part}
 * or {@code .tmp} are never taken, so writers that write under such a name and rename
 * atomically are picked up at once. After submission the file moves to {@code processed/}
 * (accepted or already known) or {@code failed/} (refused), and its marker is removed.
 * The directory is scanned periodically (polling works on network file systems, where
 * change notifications do not); one scan runs at a time, on a worker thread.
 */
final class InboxWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(InboxWatcher.class);
    static final String DONE = ".done";
    static final String PROCESSED = "processed";
    static final String FAILED = "failed";

    private record Seen(long size, long mtime, long sinceNanos) {
    }

    private final Vertx vertx;
    private final Path dir;
    private final long stableNanos;
    private final long pollMs;
    private final CaseSubmitter submitter;
    private final Map<String, String> options;
    private final Map<Path, Seen> seen = new HashMap<>();
    private boolean scanning;
    private long timer = -1;

    /** @param options canonical case options every inbox file is submitted with */
    InboxWatcher(Vertx vertx, Path dir, long stableMs, CaseSubmitter submitter, Map<String, String> options) {
        this.vertx = vertx;
        this.dir = dir;
        this.stableNanos = stableMs * 1_000_000L;
        this.pollMs = Math.max(50, Math.min(1000, stableMs / 4));
        this.submitter = submitter;
        this.options = options;
    }

    /** Creates the directories and starts polling on the caller's context. */
    Future<Void> start() {
        return vertx.executeBlocking(() -> {
            Files.createDirectories(dir.resolve(PROCESSED));
            Files.createDirectories(dir.resolve(FAILED));
            return null;
        }, false).onSuccess(v -> timer = vertx.setPeriodic(pollMs, id -> scan())).mapEmpty();
    }

    void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    private void scan() {
        if (scanning) {
            return;
        }
        scanning = true;
        vertx.executeBlocking(this::completeFiles, false)
                .compose(this::submitAll)
                .onComplete(ar -> {
                    scanning = false;
                    if (ar.failed()) {
                        LOG.warn("event=inbox_scan_failed error={}", ar.cause().getClass().getSimpleName());
                    }
                });
    }

    /** Files that are complete now; updates the size/mtime observations of the others. */
    private List<Path> completeFiles() throws IOException {
        List<Path> ready = new ArrayList<>();
        Map<Path, Seen> still = new HashMap<>();
        long now = System.nanoTime();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.startsWith(".") || !(NiftiNames.isNifti(name) || DicomCases.isZip(f))) {
                    continue;
                }
                BasicFileAttributes attrs;
                try {
                    attrs = Files.readAttributes(f, BasicFileAttributes.class);
                } catch (IOException e) {
                    continue;
                }
                if (!attrs.isRegularFile()) {
                    continue;
                }
                if (Files.exists(marker(f))) {
                    ready.add(f);
                    continue;
                }
                Seen before = seen.get(f);
                long mtime = attrs.lastModifiedTime().toMillis();
                if (before != null && before.size() == attrs.size() && before.mtime() == mtime) {
                    if (now - before.sinceNanos() >= stableNanos) {
                        ready.add(f);
                    } else {
                        still.put(f, before);
                    }
                } else {
                    still.put(f, new Seen(attrs.size(), mtime, now));
                }
            }
        }
        synchronized (seen) {
            seen.clear();
            seen.putAll(still);
        }
        return ready;
    }

    private Future<Void> submitAll(List<Path> files) {
        Future<Void> chain = Future.succeededFuture();
        for (Path f : files) {
            chain = chain.compose(v -> submitOne(f));
        }
        return chain;
    }

    private Future<Void> submitOne(Path file) {
        Future<Submission> submitted = !DicomCases.isZip(file)
                ? submitter.submit(file, file.getFileName().toString(), options, "inbox")
                : submitter.submitDicom(file, DicomCases.baseName(file), options, "inbox").compose(InboxWatcher::allSeries);
        return submitted
                .transform(ar -> {
                    boolean ok = ar.succeeded();
                    if (ar.failed() && !(ar.cause() instanceof RefusedInputException)) {
                        // Broker or store trouble: leave the file for the next scan.
                        // The code only: messages about an inbox file may name it, and names may carry patient data.
                        LOG.warn("event=inbox_submit_failed code={}", ar.cause() instanceof StunetException e
                                ? e.code() : ar.cause().getClass().getSimpleName());
                        return Future.succeededFuture();
                    }
                    return vertx.executeBlocking(() -> {
                        move(file, ok ? PROCESSED : FAILED, ok ? ar.result().caseId() : ((RefusedInputException) ar.cause()).caseId());
                        return null;
                    }, false).mapEmpty();
                });
    }

    /**
     * One outcome for an archive of series: the first series' submission when every series
     * was accepted, else the first refusal (the archive then goes to {@code failed/}), or the
     * first broker/store failure (it stays for the next scan).
     */
    private static Future<Submission> allSeries(Map<String, Future<Submission>> series) {
        Future<Submission> refused = null;
        for (Future<Submission> f : series.values()) {
            if (f.failed() && !(f.cause() instanceof RefusedInputException)) {
                return f;
            }
            if (f.failed() && refused == null) {
                refused = f;
            }
        }
        return refused != null ? refused : series.values().iterator().next();
    }

    private void move(Path file, String sub, String caseId) throws IOException {
        Path target = dir.resolve(sub).resolve(file.getFileName());
        if (Files.exists(target)) {
            target = dir.resolve(sub).resolve(caseId + "-" + file.getFileName());
        }
        Files.move(file, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(marker(file));
        LOG.info("event=inbox_file_taken case={} outcome={}", caseId, sub);
    }

    private static Path marker(Path file) {
        return file.resolveSibling(file.getFileName() + DONE);
    }
}
