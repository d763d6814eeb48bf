package io.stunet.bench;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.geometry.Affine;
import io.stunet.nifti.NiftiHeader;
import io.stunet.preprocess.NormalizationSpec;
import io.stunet.preprocess.PreprocessingParameters;
import io.stunet.preprocess.Preprocessor;
import io.stunet.preprocess.ResamplingRules;
import io.stunet.resample.SplineResampler;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stunet bench preprocess}: a generated CT-like int16 volume (default 512 x 512 x 300 at
 * 0.8 x 0.8 x 1.5 mm) resampled to 1.5 mm isotropic with our cubic B-spline and with
 * {@code skimage.transform.resize(order=3, mode='edge', anti_aliasing=False, clip=True)} (via
 * the reference script and Debian's Python) in the same run. Prints both times, the ratio, the
 * largest difference between the two results, and peak memory (Java: heap in use above the
 * input; Python: peak RSS).
 */
@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = "Time cubic resampling of a generated CT against skimage.transform.resize.")
public final class BenchPreprocessCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--shape-xyz", split = ",", defaultValue = "512,512,300", description = "Volume size (default ${DEFAULT-VALUE}).")
    int[] shapeXyz;

    @Option(names = "--spacing-xyz", split = ",", defaultValue = "0.8,0.8,1.5", description = "Voxel size in mm (default ${DEFAULT-VALUE}).")
    double[] spacingXyz;

    @Option(names = "--target", defaultValue = "1.5", description = "Isotropic target spacing in mm (default ${DEFAULT-VALUE}).")
    double target;

    @Option(names = "--repeat", defaultValue = "3", description = "Timed Java runs after one warm-up (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Interpreter with numpy/scipy/skimage.")
    String python;

    @Option(names = "--no-python", description = "Skip the reference run.")
    boolean noPython;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        int[] shape = {shapeXyz[2], shapeXyz[1], shapeXyz[0]};
        double[] spacing = {spacingXyz[2], spacingXyz[1], spacingXyz[0]};
        int[] outShape = ResamplingRules.targetShape(shape, spacing, new double[] {target, target, target});
        short[] ct = generateCt(shape, 42);
        out.printf(Locale.ROOT, "volume (z,y,x) %s int16 at %s mm -> %s, %d cores%n", Arrays.toString(shape),
                Arrays.toString(spacing), Arrays.toString(outShape), Runtime.getRuntime().availableProcessors());

        float[] input = new float[ct.length];
        for (int i = 0; i < ct.length; i++) {
            input[i] = ct[i];
        }
        System.gc();
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        float[] result = SplineResampler.resize(input, shape, outShape);
        double best = Double.MAX_VALUE;
        long peakExtra = 0;
        for (int r = 0; r < repeat; r++) {
            result = null;
            System.gc();
            long base = mem.getHeapMemoryUsage().getUsed();
            AtomicLong peak = new AtomicLong(base);
            AtomicBoolean running = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (running.get()) {
                    peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.setDaemon(true);
            sampler.start();
            long t0 = System.nanoTime();
            result = SplineResampler.resize(input, shape, outShape);
            double s = (System.nanoTime() - t0) / 1e9;
            running.set(false);
            sampler.join();
            best = Math.min(best, s);
            peakExtra = Math.max(peakExtra, peak.get() - base);
            out.printf(Locale.ROOT, "java run %d: %.3f s%n", r + 1, s);
        }
        double inMiB = input.length * 4.0 / (1 << 20);
        double outMiB = result.length * 4.0 / (1 << 20);
        out.printf(Locale.ROOT, "java best: %.3f s; heap above the input during resize: %.0f MiB "
                + "(output %.0f MiB; input float32 %.0f MiB)%n", best, peakExtra / 1048576.0, outMiB, inMiB);
        Volume volume = Volume.wrap(NiftiHeader.forGrid(shapeXyz[0], shapeXyz[1], shapeXyz[2],
                Affine.diagonal(spacingXyz[0], spacingXyz[1], spacingXyz[2], 0, 0, 0), DataType.INT16), ct);
        Preprocessor full = new Preprocessor(PreprocessingParameters.of(new double[] {target, target, target},
                NormalizationSpec.nonCt(false)));
        input = null;
        System.gc();
        long f0 = System.nanoTime();
        full.run(volume);
        out.printf(Locale.ROOT, "java whole preprocessing (int16 -> float32, reorient, crop, resample, normalize): %.3f s%n",
                (System.nanoTime() - f0) / 1e9);
        if (noPython) {
            return 0;
        }
        Path dir = Files.createTempDirectory("stunet-bench");
        try {
            Path raw = dir.resolve("ct.i16");
            Path ref = dir.resolve("ref.f32");
            writeShorts(raw, ct);
            String json = runPython(dir, "--input", raw.toString(), "--shape", csv(shape), "--out-shape", csv(outShape),
                    "--output", ref.toString());
            double seconds = field(json, "seconds");
            double rss = field(json, "peakRssMiB");
            float[] expected = readFloats(ref, result.length);
            double worst = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs((double) expected[i] - result[i]));
            }
            out.printf(Locale.ROOT, "skimage resize: %.3f s, peak RSS %.0f MiB%n", seconds, rss);
            out.printf(Locale.ROOT, "speed-up: %.1fx; max |java - skimage| = %.2e HU%n", seconds / best, worst);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
        return 0;
    }

    /**
     * A body-like phantom: air outside an elliptic cylinder of soft tissue (~40 HU), two lungs
     * (~-850 HU), a spine-like bone column (~700 HU), and Gaussian noise, so resampling sees
     * sharp edges and texture like a real CT.
     */
    static short[] generateCt(int[] shape, long seed) {
        int nz = shape[0];
        int ny = shape[1];
        int nx = shape[2];
        short[] v = new short[nz * ny * nx];
        java.util.stream.IntStream.range(0, nz).parallel().forEach(z -> {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + z);
            for (int y = 0; y < ny; y++) {
                double fy = (y - ny / 2.0) / (ny * 0.35);
                for (int x = 0; x < nx; x++) {
                    double fx = (x - nx / 2.0) / (nx * 0.45);
                    double hu;
                    if (fx * fx + fy * fy > 1) {
                        hu = -1000;
                    } else {
                        double lx = Math.abs(fx) - 0.45;
                        double ly = fy + 0.1;
                        boolean lung = (lx * lx) / 0.09 + (ly * ly) / 0.25 < 1 && z > nz / 5;
                        double bx = fx;
                        double by = fy - 0.6;
                        boolean bone = bx * bx + by * by < 0.02;
                        hu = bone ? 700 : lung ? -850 : 40;
                    }
                    hu += 25 * r.nextDouble() - 12.5 + 10 * Math.sin(0.05 * x + 0.07 * y + 0.03 * z);
                    v[(z * ny + y) * nx + x] = (short) Math.round(Math.max(-1024, hu));
                }
            }
        });
        return v;
    }

    private String runPython(Path dir, String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 4];
        cmd[0] = python;
        cmd[1] = "-m";
        cmd[2] = "tools.stunet.reference_preprocess";
        cmd[3] = "bench";
        System.arraycopy(args, 0, cmd, 4, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(repositoryRoot().toFile());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(1, TimeUnit.HOURS) || p.exitValue() != 0) {
            throw new StunetException(ErrorCode.INTERNAL, "reference benchmark failed: " + String.join(" ", cmd));
        }
        return text;
    }

    /** The repository root (where tools/ lives): the launcher's directory or the working directory. */
    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("tools/stunet/reference_preprocess.py"))) {
                return p;
            }
        }
        throw new StunetException(ErrorCode.INVALID_REQUEST,
                "run from the repository (tools/stunet/reference_preprocess.py not found), or use --no-python");
    }

    private static double field(String json, String name) {
        var m = java.util.regex.Pattern.compile("\"" + name + "\":\\s*([-0-9.eE+]+)").matcher(json);
        if (!m.find()) {
            throw new StunetException(ErrorCode.INTERNAL, "reference benchmark printed no " + name);
        }
        return Double.parseDouble(m.group(1));
    }

    private static String csv(int[] v) {
        return v[0] + "," + v[1] + "," + v[2];
    }

    private static void writeShorts(Path path, short[] values) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (short s : values) {
                if (!b.hasRemaining()) {
                    os.write(b.array(), 0, b.position());
                    b.clear();
                }
                b.putShort(s);
            }
            os.write(b.array(), 0, b.position());
        }
    }

    private static float[] readFloats(Path path, int n) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[n];
        b.asFloatBuffer().get(out);
        return out;
    }
}
