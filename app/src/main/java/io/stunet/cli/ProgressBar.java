package io.stunet.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress line for long commands. On a terminal it redraws one line in place. When
 * stderr is not a terminal (CI logs, pipes) it prints one plain line per step: when the
 * step's description changes, when the count first reaches its total, and while a step
 * runs at most every few seconds; it never prints the same state twice, so a log shows
 * each 100% line once. Thread-safe: engine callbacks may update it from any thread.
 */
public final class ProgressBar implements AutoCloseable {
    private static final int WIDTH = 30;
    private static final long PLAIN_INTERVAL_NANOS = 5_000_000_000L;

    private final PrintStream out;
    private final String label;
    private final boolean interactive;
    private final long startNanos = System.nanoTime();
    private long total;
    private long done;
    private String detail = "";
    private long lastPlainNanos;
    private String lastPlainState;
    private boolean finished;

    public ProgressBar(PrintStream out, String label, long total) {
        this(out, label, total, System.console() != null);
    }

    ProgressBar(PrintStream out, String label, long total, boolean interactive) {
        this.out = out;
        this.label = label;
        this.total = Math.max(0, total);
        this.interactive = interactive;
    }

    public synchronized void addTotal(long more) {
        total += more;
        render(false);
    }

    public synchronized void step(long n, String detail) {
        done += n;
        if (detail != null) {
            this.detail = detail;
        }
        render(false);
    }

    public synchronized void detail(String detail) {
        this.detail = detail;
        render(false);
    }

    @Override
    public synchronized void close() {
        if (!finished) {
            finished = true;
            render(true);
            if (interactive) {
                out.println();
            }
        }
    }

    private void render(boolean force) {
        long now = System.nanoTime();
        boolean complete = total > 0 && done >= total;
        String state = done + "/" + total + " " + detail;
        if (!interactive) {
            if (state.equals(lastPlainState)) {
                return;
            }
            boolean newStep = lastPlainState == null || !detail.equals(lastPlainState.substring(lastPlainState.indexOf(' ') + 1));
            if (!force && !newStep && !complete && now - lastPlainNanos < PLAIN_INTERVAL_NANOS) {
                return;
            }
            lastPlainState = state;
        }
        lastPlainNanos = now;
        double fraction = total == 0 ? 0 : Math.min(1.0, done / (double) total);
        int filled = (int) Math.round(fraction * WIDTH);
        double seconds = (now - startNanos) / 1e9;
        String line = String.format(Locale.ROOT, "%s [%s%s] %3.0f%% %d/%d %.1fs %s",
                label, "#".repeat(filled), ".".repeat(WIDTH - filled), fraction * 100, done, total,
                seconds, detail);
        if (interactive) {
            out.print("\r" + line + "\u001b[K");
            out.flush();
        } else {
            out.println(line);
        }
    }
}
