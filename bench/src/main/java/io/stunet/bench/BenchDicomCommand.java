package io.stunet.bench;

import io.stunet.dicom.DicomFile;
import io.stunet.dicom.DicomSeries;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stunet bench dicom}: generates a CT series (512x512x300 slices by default, explicit VR
 * little endian, from the sample CT with {@code tools/dicom/dicom_reference.py make-series}),
 * once as single-frame files and once as one Enhanced CT multi-frame instance, and times
 * assembling each into a volume here ({@code DicomSeries.scan} + {@code assemble}:
 * read every file, group, sort, check, decode and rescale) against dcm2niix converting the
 * same folder to an uncompressed NIfTI ({@code dcm2niix -z n}), in the same run; prints
 * best-of-N seconds and the ratio.
 */
@Command(name = "dicom", mixinStandardHelpOptions = true,
        description = "Time DICOM series assembly against dcm2niix (same series, same run).")
public final class BenchDicomCommand implements Callable<Integer> {
    @Option(names = "--shape", split = ",", arity = "1", paramLabel = "NX,NY,NZ",
            description = "Series shape: columns, rows, slices (default: 512,512,300).")
    int[] shape = {512, 512, 300};

    @Option(names = "--repeat", paramLabel = "N", description = "Timed rounds of each; best counts (default: ${DEFAULT-VALUE}).")
    int repeat = 3;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (shape.length != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1 || repeat < 1) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "--shape takes NX,NY,NZ and --repeat a positive count");
        }
        PrintWriter out = spec.commandLine().getOut();
        Path tmp = Files.createTempDirectory("stunet-bench-dicom");
        try {
            // The same slices as single-frame files and as one Enhanced CT multi-frame instance.
            time(out, tmp, "classic", List.of("--shuffle"));
            time(out, tmp, "enhanced", List.of("--shuffle", "--enhanced", "shared"));
            return 0;
        } finally {
            deleteTree(tmp);
        }
    }

    private void time(PrintWriter out, Path tmp, String form, List<String> options) throws Exception {
        Path series = tmp.resolve(form);
        Path root = ReferencePython.root();
        List<String> args = new ArrayList<>(List.of("make-series", root.resolve("data/samples/example_ct_sm.nii.gz").toString(),
                series.toString(), "--shape", shape[0] + "," + shape[1] + "," + shape[2]));
        args.addAll(options);
        ReferencePython.runFile(root.resolve("tools/dicom/dicom_reference.py"), args.toArray(String[]::new));
        long bytes;
        long files;
        try (Stream<Path> s = Files.list(series)) {
            List<Path> all = s.toList();
            files = all.size();
            bytes = all.stream().mapToLong(p -> p.toFile().length()).sum();
        }
        out.printf(Locale.ROOT, "%s series: %dx%dx%d, %d files, %.1f MB%n", form, shape[0], shape[1], shape[2], files, bytes / 1e6);

        double ours = Double.MAX_VALUE;
        double theirs = Double.MAX_VALUE;
        for (int r = 0; r < repeat; r++) {
            long t0 = System.nanoTime();
            Map<String, List<DicomFile>> bySeries = DicomSeries.scan(series);
            DicomSeries assembled = DicomSeries.assemble(bySeries.values().iterator().next());
            if (assembled.volume().nz() != shape[2]) {
                throw new StunetException(ErrorCode.INTERNAL, "assembled " + assembled.volume().nz() + " slices");
            }
            ours = Math.min(ours, (System.nanoTime() - t0) / 1e9);

            Path nifti = Files.createDirectories(tmp.resolve(form + "-dcm2niix" + r));
            long t1 = System.nanoTime();
            dcm2niix(series, nifti);
            theirs = Math.min(theirs, (System.nanoTime() - t1) / 1e9);
        }
        out.printf(Locale.ROOT, "  stunet DicomSeries.scan+assemble: %.3f s (best of %d)%n", ours, repeat);
        out.printf(Locale.ROOT, "  dcm2niix -z n:                    %.3f s (best of %d)%n", theirs, repeat);
        out.printf(Locale.ROOT, "  speed-up over dcm2niix: %.2fx%n", theirs / ours);
        out.flush();
    }

    private static void dcm2niix(Path series, Path outDir) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("dcm2niix", "-z", "n", "-b", "n", "-f", "bench", "-o", outDir.toString(),
                series.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) {
            throw new StunetException(ErrorCode.INTERNAL, "dcm2niix exited with " + p.exitValue());
        }
    }

    /** Deletes a directory and everything below it; nothing when it does not exist. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
