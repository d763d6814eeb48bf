package io.stunet.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress line for long commands. On a terminal it redraws one line in place. When
 * stderr is not a terminal (CI logs, pipes) it prints one plain line per step: when the
 * step's description changes, when the count first reaches its total, and while a step
 * runs at most every few seconds; it never prints the same state twice. A plain line shows
 * the bar and the count only while there is something to count: not before the total is
 * known (no {@code 0/0}), and after the count has reached its total only on the line that
 * reached it, so a log shows a single 100% line and the later steps as {@code label 20.6s
 * export}. On a terminal the bar stays in place, with the count once the total is known.
 * Thread-safe: engine callbacks may update it from any thread.
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
    /** A plain line has shown the complete count (later plain lines leave the bar out). */
    private boolean completeShown;
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
        double seconds = (now - startNanos) / 1e9;
        String counter = "";
        if (interactive && total == 0) {
            // Nothing to count yet: the bar keeps its place, with no percentage or 0/0.
            counter = "[" + ".".repeat(WIDTH) + "] ";
        } else if (interactive || (total > 0 && !(complete && completeShown))) {
            double fraction = total == 0 ? 0 : Math.min(1.0, done / (double) total);
            int filled = (int) Math.round(fraction * WIDTH);
            counter = String.format(Locale.ROOT, "[%s%s] %3.0f%% %d/%d ", "#".repeat(filled), ".".repeat(WIDTH - filled),
                    fraction * 100, done, total);
            completeShown |= complete && !interactive;
        }
        String line = String.format(Locale.ROOT, "%s %s%.1fs %s", label, counter, seconds, detail);
        if (interactive) {
            out.print("\r" + line + "\u001b[K");
            out.flush();
        } else {
            out.println(line);
        }
    }
}
