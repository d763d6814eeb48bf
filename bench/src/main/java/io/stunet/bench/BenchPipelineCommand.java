package io.stunet.bench;

import io.stunet.cli.StunetCommand;
import io.stunet.engine.EngineOptions;
import io.stunet.engine.InferenceEngine;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.export.ExportMode;
import io.stunet.geometry.Affine;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.nifti.NiftiWriter;
import io.stunet.predict.CaseFiles;
import io.stunet.predict.CaseSegmenter;
import io.stunet.predict.StunetVersion;
import io.stunet.postprocess.CaseFinisher;
import io.stunet.postprocess.Provenance;
import io.stunet.records.CaseState;
import io.stunet.streaming.PipelineRun;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stunet bench pipeline}: cohort throughput of {@code run} (Kafka, all stages in one
 * JVM) against {@code predict} (one process, case after case) on the same cases, model and
 * devices, measured in the same invocation. Model loading and broker start-up are outside
 * both timings. Prints the ratio (goal >= 0.9), whether every mask is identical, and the
 * per-case stage timeline from the status topic, which shows whether stages of different
 * cases overlap.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Cohort throughput through Kafka (run) vs predict on the same cases and devices, with a stage timeline.")
public final class BenchPipelineCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path model;

    @Option(names = "--cases", paramLabel = "DIR", description = "Folder of NIfTI cases (default: generated CT phantoms).")
    Path cases;

    @Option(names = "--generate", defaultValue = "8", description = "Phantom cases to generate without --cases (default ${DEFAULT-VALUE}).")
    int generate;

    @Option(names = "--shape-xyz", split = ",", defaultValue = "96,96,48", description = "Phantom size (default ${DEFAULT-VALUE}).")
    int[] shapeXyz;

    @Option(names = "--spacing-xyz", split = ",", defaultValue = "1.5,1.5,1.5", description = "Phantom voxel size in mm (default ${DEFAULT-VALUE}).")
    double[] spacingXyz;

    @Option(names = "--devices", split = ",", defaultValue = "cpu,cpu", description = "Devices for both runs (default ${DEFAULT-VALUE}).")
    List<String> devices;

    @Option(names = "--slabs", defaultValue = "2", description = "Z-slabs per case for both runs (default ${DEFAULT-VALUE}).")
    int slabs;

    @Option(names = "--tta", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Test-time mirroring (default: on).")
    boolean tta;

    @Option(names = "--work", paramLabel = "DIR", description = "Scratch directory (default: a temporary one).")
    Path work;

    @Override
    public Integer call() throws IOException {
        Path scratch = work != null ? work : Files.createTempDirectory("stunet-bench-pipeline-");
        Path input = cases != null ? cases : phantoms(scratch.resolve("cases"));
        List<Path> files = CaseFiles.list(input);
        ModelCard card = ModelCard.load(model);
        System.out.printf(Locale.ROOT, "bench pipeline: %d cases, devices %s, slabs %d, tta %s, model %s%n",
                files.size(), devices, slabs, tta, card.name());

        Path predictOut = scratch.resolve("predict");
        Files.createDirectories(predictOut);
        double predictSeconds;
        EngineOptions eo = EngineOptions.forModel(card).devices(devices).tta(tta).step(0.5);
        try (InferenceEngine engine = InferenceEngine.open(card.modelFile(), eo)) {
            CaseSegmenter seg = new CaseSegmenter(card, engine, new CaseFinisher.Options(ExportMode.NEAREST, false), slabs,
                    StunetVersion.get());
            long t0 = System.nanoTime();
            for (Path f : files) {
                seg.segment(CaseFiles.caseName(f), new CaseFiles.NiftiInput(f), predictOut, s -> { });
            }
            predictSeconds = (System.nanoTime() - t0) / 1e9;
        }

        Path runOut = scratch.resolve("run");
        PipelineRun.Result r = PipelineRun.run(new PipelineRun.Options(input, runOut, model, scratch.resolve("work"),
                devices, slabs, tta, 0.5, 1, "nearest", false, List.of(), false, 2 * devices.size(), null,
                Duration.ofHours(2)), p -> { });
        if (r.failed() > 0) {
            throw new StunetException(ErrorCode.INTERNAL, r.failed() + " case(s) failed in the pipeline run");
        }
        int identical = 0;
        for (Path f : files) {
            String name = CaseFiles.caseName(f);
            Volume a = NiftiReader.read(predictOut.resolve(name + "_seg.nii.gz"));
            Volume b = NiftiReader.read(runOut.resolve(name + "_seg.nii.gz"));
            // Same voxels, and the same statistics and label table apart from provenance.execution (times, devices).
            boolean same = Arrays.equals((byte[]) a.data(), (byte[]) b.data());
            for (String suffix : List.of("_stats.json", "_seg.json")) {
                same &= Provenance.stablePart(Files.readAllBytes(predictOut.resolve(name + suffix)))
                        .equals(Provenance.stablePart(Files.readAllBytes(runOut.resolve(name + suffix))));
            }
            identical += same ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "predict : %8.2f s  %6.3f cases/s%n", predictSeconds, files.size() / predictSeconds);
        System.out.printf(Locale.ROOT, "run     : %8.2f s  %6.3f cases/s%n", r.seconds(), files.size() / r.seconds());
        System.out.printf(Locale.ROOT, "throughput ratio run/predict: %.3f (goal >= 0.9); outputs identical: %d/%d%n",
                predictSeconds / r.seconds(), identical, files.size());
        printTimeline(r);
        return identical == files.size() ? 0 : StunetCommand.EXIT_FAILURE;
    }

    /**
     * Milliseconds after the first submission at which each case's status reached each state:
     * RECEIVED (submitted), PREPROCESSING (preprocessed, slabs requested), first and last
     * INFERRING (slabs segmented), COMPLETED (exported); then how many cases were in flight in
     * different stages at once.
     */
    private static void printTimeline(PipelineRun.Result r) {
        long origin = r.events().stream().mapToLong(PipelineRun.Event::atMillis).min().orElse(0);
        Map<String, long[]> t = new LinkedHashMap<>();
        for (PipelineRun.Event e : r.events()) {
            long[] row = t.computeIfAbsent(e.caseId(), k -> new long[] {-1, -1, -1, -1, -1});
            long at = e.atMillis() - origin;
            switch (e.state()) {
                case RECEIVED -> row[0] = at;
                case PREPROCESSING -> row[1] = at;
                case INFERRING -> {
                    row[2] = row[2] < 0 ? at : Math.min(row[2], at);
                    row[3] = Math.max(row[3], at);
                }
                case COMPLETED -> row[4] = at;
                default -> { }
            }
        }
        System.out.println("timeline (ms after first submission): case | submitted | preprocessed | first slab | last slab | completed");
        List<long[]> rows = new ArrayList<>(t.values());
        int i = 0;
        for (long[] row : rows) {
            System.out.printf(Locale.ROOT, "  %3d | %7d | %7d | %7d | %7d | %7d%n", i++, row[0], row[1], row[2], row[3], row[4]);
        }
        int overlaps = 0;
        for (long[] a : rows) {
            for (long[] b : rows) {
                // b is being preprocessed (submitted..preprocessed) while a is in inference (preprocessed..last slab).
                if (a != b && b[0] < a[3] && b[1] > a[1] && b[1] < a[3]) {
                    overlaps++;
                    break;
                }
            }
        }
        System.out.printf(Locale.ROOT, "stage overlap: %d of %d cases had another case preprocessed during their inference%n",
                overlaps, rows.size());
        System.out.printf(Locale.ROOT, "final states: %s%n", r.cases().stream()
                .map(c -> c.state().name()).distinct().toList().equals(List.of(CaseState.COMPLETED.name())) ? "all COMPLETED" : "mixed");
    }

    private Path phantoms(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < generate; i++) {
            // Different depths give different bytes, hence different case ids.
            int nz = shapeXyz[2] + i;
            short[] v = CtPhantom.generate(shapeXyz[0], shapeXyz[1], nz);
            NiftiHeader h = NiftiHeader.forGrid(shapeXyz[0], shapeXyz[1], nz,
                    Affine.diagonal(spacingXyz[0], spacingXyz[1], spacingXyz[2], 0, 0, 0), DataType.INT16);
            NiftiWriter.write(dir.resolve(String.format(Locale.ROOT, "phantom_%02d.nii.gz", i)), Volume.wrap(h, v));
        }
        return dir;
    }
}
