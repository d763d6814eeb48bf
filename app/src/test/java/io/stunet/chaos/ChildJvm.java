package io.stunet.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code stunet} command in a child JVM started from this JVM's classpath (the test
 * classpath under surefire, so nothing has to be packaged first), with standard output and
 * error going to a log file. {@link #kill9()} is a real SIGKILL: the child gets no chance to
 * commit, flush or leave its consumer groups. Every wait is bounded.
 */
final class ChildJvm implements AutoCloseable {
    private static final String MAIN = "io.stunet.cli.StunetCommand";

    final String name;
    final Path log;
    private final Process process;

    private ChildJvm(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts {@code stunet ARGS} in a new JVM.
     *
     * @param heapMb maximum heap of the child
     * @param env    extra environment variables (e.g. {@code STUNET_...} configuration)
     */
    static ChildJvm start(String name, Path logDir, Path workDir, int heapMb, Map<String, String> env, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heapMb + "m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-cp");
        cmd.add(classpath());
        cmd.add(MAIN);
        cmd.addAll(args);
        try {
            Files.createDirectories(logDir);
            Path log = logDir.resolve(name + ".log");
            Files.writeString(log, "");
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(env);
            return new ChildJvm(name, log, pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The classpath this test runs with: surefire's real one when it launched us through a manifest jar. */
    static String classpath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** How many times {@code needle} occurs in the log so far. */
    int count(String needle) {
        String text = logText();
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }

    /** Waits until the log matches {@code regex}; returns the first group of the match. */
    String await(String regex, Duration timeout) {
        Pattern p = Pattern.compile(regex);
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            Matcher m = p.matcher(logText());
            if (m.find()) {
                return m.groupCount() > 0 ? m.group(1) : m.group();
            }
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + " before logging /" + regex + "/\n" + tail());
            }
            sleep(100);
        }
        throw new AssertionError(name + " did not log /" + regex + "/ within " + timeout + "\n" + tail());
    }

    /** Waits until the log holds {@code needle} more than {@code before} times. */
    void awaitCount(String needle, int before, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (count(needle) <= before) {
            if (System.nanoTime() > end) {
                throw new AssertionError(name + " did not log '" + needle + "' again within " + timeout + "\n" + tail());
            }
            sleep(100);
        }
    }

    /** SIGTERM (a graceful stop request); does not wait. */
    void terminate() {
        process.destroy();
    }

    /** SIGKILL, then waits for the process to be gone. */
    void kill9() {
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(30));
    }

    /** Exit status, waiting at most {@code timeout}. */
    int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " still running after " + timeout + "\n" + tail());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return process.exitValue();
    }

    /** The last lines of the log, for failure messages. */
    String tail() {
        String[] lines = logText().split("\n");
        int from = Math.max(0, lines.length - 40);
        StringBuilder sb = new StringBuilder("---- last lines of ").append(log).append(" ----\n");
        for (int i = from; i < lines.length; i++) {
            sb.append(lines[i]).append('\n');
        }
        return sb.toString();
    }

    /** Kills the process if it still runs (SIGKILL: tests never leave children behind). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
