package io.stunet.ingest.dicom;

import io.stunet.testing.Python;
import io.stunet.testing.TestData;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** External tools the DICOM receiver tests drive: dcmtk's SCUs and the pydicom scripts in tools/. */
final class Tools {
    /** pydicom's bundled test files (Debian python3-pydicom). */
    static final Path PYDICOM_FILES = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");

    private Tools() {
    }

    /** Exit code and merged output of a finished command. */
    record Result(int exit, String output) {
        /** The output's informational, warning and error lines (no debug dumps): for assertion messages. */
        String summary() {
            return String.join("\n", output.lines().filter(l -> !l.startsWith("D:")).toList());
        }
    }

    /** Runs a command with a bound on its duration; fails when it does not finish in time. */
    static Result run(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = new byte[0];
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join(5000);
            throw new AssertionError("timed out: " + cmd);
        }
        reader.join(5000);
        return new Result(p.exitValue(), new String(out[0] == null ? new byte[0] : out[0], StandardCharsets.UTF_8));
    }

    static Result echoscu(int port, String calledAe) throws IOException, InterruptedException {
        return run(List.of("echoscu", "-v", "-to", "10", "-ta", "10", "-td", "10", "-aec", calledAe, "127.0.0.1",
                String.valueOf(port)), 60);
    }

    /**
     * storescu in one association with every file, proposing only what the files need (their
     * SOP classes in their own transfer syntaxes, so compressed files are sent as they are);
     * {@code extra} options go first.
     */
    static Result storescu(int port, List<String> extra, List<Path> files) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("storescu", "-d", "-R", "-to", "10", "-ta", "10", "-td", "10", "-aec", "STUNET"));
        cmd.addAll(extra);
        cmd.add("127.0.0.1");
        cmd.add(String.valueOf(port));
        files.forEach(f -> cmd.add(f.toString()));
        return run(cmd, 120);
    }

    /**
     * Writes a synthetic CT series of 16x16 slices from the sample CT with
     * {@code tools/dicom/dicom_reference.py make-series} (fresh UIDs each call); without a
     * series UID when {@code withSeriesUid} is false. Returns its files.
     */
    static List<Path> series(Path dir, int slices, String syntax, boolean withSeriesUid) throws IOException {
        List<String> args = new ArrayList<>(List.of("make-series", TestData.file("data/samples/example_ct_sm.nii.gz").toString(),
                dir.toString(), "--shape", "16,16," + slices, "--ts", syntax));
        if (!withSeriesUid) {
            args.add("--fault=noseriesuid");
        }
        Python.run(TestData.file("tools/dicom/dicom_reference.py"), args.toArray(String[]::new));
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    /** Runs tools/dicom_same_instance.py; returns its output (one JSON line per received file, with "ok"). */
    static String sameInstances(List<Path> sent, List<Path> received) {
        List<String> args = new ArrayList<>();
        sent.forEach(p -> args.add(p.toString()));
        args.add("--");
        received.forEach(p -> args.add(p.toString()));
        return Python.run(TestData.root().resolve("tools/dicom_same_instance.py"), args.toArray(String[]::new));
    }

    /** Every {@code .dcm} file under {@code dir}, sorted. */
    static List<Path> dcmFiles(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".dcm")).sorted().toList();
        }
    }
}
