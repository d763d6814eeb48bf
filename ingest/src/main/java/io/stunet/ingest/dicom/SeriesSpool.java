package io.stunet.ingest.dicom;

import io.stunet.files.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The on-disk spool of received DICOM instances, grouped into series. Each instance is
 * written atomically as a Part 10 file into {@code incoming/<series key>/}; a series is
 * complete once no instance has arrived for the quiet period, or when {@link #endSeries} is
 * called; its directory then moves to {@code complete/<series key>-<millis>/} and is handed
 * to the {@link SeriesHandoff}. An instance arriving after its series was handed over starts
 * a new series directory (and a second handoff). On {@link #start()} the spool resumes what
 * a previous process left: {@code incoming/} series restart their quiet period,
 * {@code complete/} series are handed over again, half-written temporary files are removed.
 */
public final class SeriesSpool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SeriesSpool.class);

    private final Path incoming;
    private final Path complete;
    private final Path tmp;
    private final long quietNanos;
    private final SeriesHandoff handoff;
    private final Map<String, Series> open = new HashMap<>();
    private final ScheduledExecutorService timer;
    private boolean started;

    private static final class Series {
        final String key;
        int instances;
        int writing;
        long lastArrival;
        boolean endRequested;

        Series(String key, long now) {
            this.key = key;
            this.lastArrival = now;
        }
    }

    /**
     * @param root  spool directory (created when missing)
     * @param quiet how long a series must go without a new instance to count as complete
     */
    public SeriesSpool(Path root, Duration quiet, SeriesHandoff handoff) {
        this.incoming = root.resolve("incoming");
        this.complete = root.resolve("complete");
        this.tmp = root.resolve("tmp");
        this.quietNanos = quiet.toNanos();
        this.handoff = handoff;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dicom-spool");
            t.setDaemon(true);
            return t;
        });
    }

    /** Creates the directories, resumes a previous process's spool and starts the quiet-period sweep. */
    public synchronized void start() throws IOException {
        if (started) {
            return;
        }
        started = true;
        Files.createDirectories(incoming);
        Files.createDirectories(complete);
        Files.createDirectories(tmp);
        try (Stream<Path> left = Files.list(tmp)) {
            for (Path p : left.toList()) {
                Files.deleteIfExists(p);
            }
        }
        long now = System.nanoTime();
        for (Path dir : directories(incoming)) {
            Series s = new Series(dir.getFileName().toString(), now);
            s.instances = countInstances(dir);
            open.put(s.key, s);
        }
        List<Path> recovered = directories(complete);
        LOG.info("event=dicom_spool_started open_series={} complete_series={}", open.size(), recovered.size());
        for (Path dir : recovered) {
            String name = dir.getFileName().toString();
            int dash = name.lastIndexOf('-');
            String key = dash > 0 ? name.substring(0, dash) : name;
            int count = countInstances(dir);
            timer.execute(() -> handOver(new CompletedSeries(dir, key, count, CompletedSeries.Reason.RECOVERED)));
        }
        long period = Math.max(10, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(quietNanos) / 4));
        timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    /** Directory for a receiver's temporary files (data sets being received); emptied at start. */
    public Path tmpDir() {
        return tmp;
    }

    /**
     * Writes one instance (our meta information, then the data set bytes {@code dataset}
     * produces) atomically into its series directory; an instance received again replaces
     * the earlier file. Returns the file.
     */
    public Path store(InstanceKeys keys, String transferSyntax, String sourceAe, AtomicFiles.Body dataset)
            throws IOException {
        String key = keys.seriesKey();
        Series s;
        synchronized (this) {
            s = open.get(key);
            if (s == null) {
                s = new Series(key, System.nanoTime());
                open.put(key, s);
            }
            s.writing++;
        }
        Path file = incoming.resolve(key).resolve(keys.instanceFileName());
        boolean fresh = false;
        try {
            fresh = !Files.exists(file);
            AtomicFiles.write(file, out -> {
                Part10.writeHeader(out, keys, transferSyntax, sourceAe);
                dataset.write(out);
            });
        } finally {
            synchronized (this) {
                s.writing--;
                s.lastArrival = System.nanoTime();
                if (fresh && Files.exists(file)) {
                    s.instances++;
                }
            }
        }
        return file;
    }

    /**
     * Ends a series now (when no instance of it is still being written; otherwise right after
     * the last one). Does nothing for a series that is not open.
     */
    public void endSeries(String seriesKey) {
        synchronized (this) {
            Series s = open.get(seriesKey);
            if (s == null) {
                return;
            }
            s.endRequested = true;
        }
        timer.execute(this::sweep);
    }

    /** Series currently receiving instances. */
    public synchronized int openSeries() {
        return open.size();
    }

    private void sweep() {
        List<CompletedSeries> done = new ArrayList<>();
        // The move happens under the lock, so an instance of the same series arriving now
        // lands in a fresh incoming directory rather than in one being handed over.
        synchronized (this) {
            long now = System.nanoTime();
            for (Series s : List.copyOf(open.values())) {
                if (s.writing > 0 || !(s.endRequested || now - s.lastArrival >= quietNanos)) {
                    continue;
                }
                open.remove(s.key);
                Path to = complete.resolve(s.key + "-" + System.currentTimeMillis());
                try {
                    Files.move(incoming.resolve(s.key), to, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    LOG.error("event=dicom_series_move_failed series={} error={}", s.key, e.getClass().getSimpleName());
                    continue;
                }
                done.add(new CompletedSeries(to, s.key, s.instances,
                        s.endRequested ? CompletedSeries.Reason.EXPLICIT : CompletedSeries.Reason.QUIET));
            }
        }
        done.forEach(this::handOver);
    }

    private void handOver(CompletedSeries series) {
        LOG.info("event=dicom_series_complete series={} instances={} reason={}", series.seriesKey(), series.instances(),
                series.reason().name().toLowerCase());
        try {
            handoff.seriesComplete(series);
        } catch (Exception e) {
            LOG.error("event=dicom_series_handoff_failed series={} error={}", series.seriesKey(), e.getClass().getSimpleName());
        }
    }

    private static List<Path> directories(Path parent) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, Files::isDirectory)) {
            ds.forEach(out::add);
        }
        out.sort(null);
        return out;
    }

    private static int countInstances(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return (int) files.filter(p -> p.getFileName().toString().endsWith(".dcm")).count();
        }
    }

    /** Stops the sweep; open series stay in {@code incoming/} for the next start. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
