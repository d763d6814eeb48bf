package io.stunet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.geometry.Affine;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.nifti.NiftiWriter;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stunet bench nifti}: generates a CT-like int16 volume (512x512x300 by default),
 * writes it as {@code .nii} and {@code .nii.gz}, and times loading it to float32 here
 * ({@code NiftiReader.readFloat32}, and {@code read(f).toFloat32(0)} for comparison) and with nibabel
 * ({@code nib.load(f).get_fdata(dtype=np.float32)}) in the same run; prints best-of-N
 * seconds and the speed-up over nibabel. Goals: 2x on .nii, 1.2x on .nii.gz.
 */
@Command(name = "nifti", mixinStandardHelpOptions = true,
        description = "Time NIfTI loading to float32 against nibabel (same files, same run).")
public final class BenchNiftiCommand implements Callable<Integer> {
    @Option(names = "--shape", split = ",", arity = "1", paramLabel = "NX,NY,NZ",
            description = "Volume shape (default: 512,512,300).")
    int[] shape = {512, 512, 300};

    @Option(names = "--repeat", paramLabel = "N", description = "Timed rounds per file (each reader once per round); best counts "
            + "(default: ${DEFAULT-VALUE}).")
    int repeat = 5;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to write the files (default: a temporary "
            + "directory, removed afterwards).")
    Path dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (shape.length != 3 || Arrays.stream(shape).anyMatch(n -> n < 1)
                || (long) shape[0] * shape[1] * shape[2] > NiftiReader.DEFAULT_MAX_VOXELS) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "--shape takes three positive sizes NX,NY,NZ"
                    + " with at most " + NiftiReader.DEFAULT_MAX_VOXELS + " voxels");
        }
        if (repeat < 1) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "--repeat must be at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        boolean temporary = dir == null;
        Path work = temporary ? Files.createTempDirectory("stunet-bench-nifti") : Files.createDirectories(dir);
        try {
            NiftiHeader header = NiftiHeader.forGrid(shape[0], shape[1], shape[2],
                    Affine.diagonal(-0.8, -0.8, 1.5, 200, 200, -300), DataType.INT16);
            Volume ct = Volume.wrap(header, CtPhantom.generate(shape[0], shape[1], shape[2]));
            out.printf(Locale.ROOT, "NIfTI load to float32: %dx%dx%d int16 CT-like volume, best of %d%n",
                    shape[0], shape[1], shape[2], repeat);
            out.printf(Locale.ROOT, "%-8s %8s %14s %14s %12s %9s%n", "file", "MiB", "readFloat32 s",
                    "read+toF32 s", "nibabel s", "speed-up");
            ObjectMapper mapper = new ObjectMapper();
            for (String ext : new String[] {".nii", ".nii.gz"}) {
                Path file = work.resolve("ct" + ext);
                NiftiWriter.write(file, ct);
                // Rounds alternate the readers so that load from other processes on a shared
                // machine hits all of them alike; the best round of each counts.
                int expected = shape[0] * shape[1] * shape[2];
                check(NiftiReader.readFloat32(file).floats(), expected);
                check(NiftiReader.read(file).toFloat32(0), expected);
                double direct = Double.POSITIVE_INFINITY;
                double twoStep = Double.POSITIVE_INFINITY;
                double theirs = Double.POSITIVE_INFINITY;
                for (int round = 0; round < repeat; round++) {
                    direct = Math.min(direct, time(() -> NiftiReader.readFloat32(file).floats(), expected));
                    twoStep = Math.min(twoStep, time(() -> NiftiReader.read(file).toFloat32(0), expected));
                    JsonNode ref = mapper.readTree(ReferencePython.run("nifti_reference.py", "bench",
                            file.toString(), "--repeat", "1"));
                    theirs = Math.min(theirs, ref.get("seconds").asDouble());
                }
                out.printf(Locale.ROOT, "%-8s %8.1f %14.3f %14.3f %12.3f %8.2fx%n", ext,
                        Files.size(file) / 1048576.0, direct, twoStep, theirs, theirs / direct);
                out.flush();
            }
            out.println("speed-up = nibabel get_fdata(dtype=float32) / readFloat32, best round of each;"
                    + " rounds alternate the readers");
            out.printf("(goals: >= 2x on .nii, >= 1.2x on .nii.gz; %d CPU cores, Java %s)%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
            return 0;
        } finally {
            if (temporary) {
                try (Stream<Path> files = Files.walk(work)) {
                    files.sorted(Comparator.reverseOrder()).forEach(BenchNiftiCommand::deleteQuietly);
                }
            }
        }
    }

    private static double time(Supplier<float[]> load, int expected) {
        long t0 = System.nanoTime();
        float[] data = load.get();
        double seconds = (System.nanoTime() - t0) / 1e9;
        check(data, expected);
        return seconds;
    }

    private static void check(float[] data, int expected) {
        if (data.length != expected) {
            throw new IllegalStateException("read " + data.length + " voxels, expected " + expected);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // A leftover file in the temp directory is harmless.
        }
    }
}
