package io.stunet.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects command lines for {@code tools/stunet/reference_preprocess.py} and runs them all in
 * one Python process ({@code batch} subcommand), so a test class pays the numpy/scipy/skimage
 * import once instead of once per case.
 */
public final class ReferenceBatch {
    public static final String MODULE = "tools.stunet.reference_preprocess";

    private final Path dir;
    private final List<String> lines = new ArrayList<>();

    public ReferenceBatch(Path dir) {
        this.dir = dir;
    }

    /** Queues one command line (subcommand and its arguments). */
    public ReferenceBatch add(String... args) {
        StringBuilder sb = new StringBuilder();
        for (String a : args) {
            sb.append(sb.length() == 0 ? "" : " ").append('\'').append(a.replace("'", "'\"'\"'")).append('\'');
        }
        lines.add(sb.toString());
        return this;
    }

    /** Runs every queued command line in one interpreter and clears the queue. */
    public void run() {
        Path jobs = dir.resolve("jobs-" + System.nanoTime() + ".txt");
        try {
            Files.write(jobs, lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Python.module(MODULE, "batch", "--jobs", jobs.toString());
        lines.clear();
    }
}
