package io.stunet.cli;

import io.stunet.engine.EngineListener;
import io.stunet.engine.EngineOptions;
import io.stunet.engine.InferenceEngine;
import io.stunet.engine.NativeAllocator;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.postprocess.CaseFinisher;
import io.stunet.model.ModelCard;
import io.stunet.predict.CaseFiles;
import io.stunet.predict.CaseSegmenter;
import io.stunet.predict.StunetVersion;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code stunet predict}: the whole pipeline in one process, without Kafka. The model is
 * loaded once (one instance per device) and every case goes read -> preprocess -> sliding
 * window -> export -> statistics (-> preview). A failing case is reported and the others
 * still run; the exit status is non-zero when any case failed.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Segment a NIfTI file, every NIfTI file of a directory, or every DICOM series of a folder or .zip (no Kafka).")
public final class PredictCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "INPUT",
            description = "A .nii/.nii.gz file or a directory of them, or a folder/.zip of DICOM series (or use -i). Default: the bundled sample CT ("
                    + BundledPaths.SAMPLES + ").")
    Path positionalInput;

    @Option(names = {"-i", "--input"}, paramLabel = "PATH",
            description = "Same as INPUT, as nnU-Net and TotalSegmentator spell it.")
    Path inputOption;

    @Option(names = {"-m", "--model"}, paramLabel = "DIR", description = "Model directory (model.json + model.pt). Default: ${DEFAULT-VALUE}.",
            defaultValue = BundledPaths.DEMO_MODEL)
    Path model;

    @Option(names = {"-o", "--output", "--out"}, paramLabel = "DIR", defaultValue = "out/predict", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @ParentCommand
    StunetCommand root;

    @Spec
    CommandSpec spec;

    @Mixin
    SegmentationOptions seg;

    /** The input, given as INPUT or with -i (usage error when both), else the bundled samples. */
    Path input() {
        if (positionalInput != null && inputOption != null) {
            throw new ParameterException(spec.commandLine(), "give the input either as INPUT or with -i/--input, not both");
        }
        return positionalInput != null ? positionalInput : inputOption != null ? inputOption : Path.of(BundledPaths.SAMPLES);
    }

    @Override
    public Integer call() {
        Path input = input();
        ModelCard card = ModelCard.load(BundledPaths.resolve(model));
        seg.check(spec.commandLine(), card);
        CaseFinisher.Options outputs = seg.outputs();
        List<CaseFiles.CaseInput> cases = CaseFiles.inputs(BundledPaths.resolve(input));
        if (cases.isEmpty()) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "no .nii or .nii.gz files and no DICOM series in " + input);
        }
        CaseSegmenter.createDirectories(out);
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        EngineProgress progress = new EngineProgress();
        EngineOptions options = EngineOptions.forModel(card)
                .devices(seg.devices)
                .batchSize(seg.batch)
                .tta(seg.tta)
                .step(seg.step)
                .listener(progress);
        NativeAllocator.Advice advice = NativeAllocator.advice(System.getenv(), options.devices());
        if (advice != null) {
            StunetCommand.progressOut(root).println(advice.text());
        }
        try (InferenceEngine engine = InferenceEngine.open(card.modelFile(), options)) {
            CaseSegmenter segmenter = new CaseSegmenter(card, engine, outputs, seg.slabs, StunetVersion.get());
            for (int i = 0; i < cases.size(); i++) {
                if (i > 0) {
                    releaseFinishedCase();
                }
                CaseFiles.CaseInput c = cases.get(i);
                String name = c.name();
                try (ProgressBar bar = new ProgressBar(StunetCommand.progressOut(root),
                        String.format(Locale.ROOT, "[%d/%d] %s", i + 1, cases.size(), name), 0)) {
                    progress.attach(bar);
                    CaseSegmenter.Result r = segmenter.segment(name, c, out, bar::detail);
                    bar.detail(String.format(Locale.ROOT, "done: %d classes present", r.classesPresent()));
                } catch (StunetException e) {
                    failures.add(name + ": " + e.summary());
                } finally {
                    progress.detach();
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "%d case(s) segmented, %d failed in %.1f s; outputs in %s%n",
                cases.size() - failures.size(), failures.size(), seconds, out);
        for (String f : failures) {
            System.out.println("  failed " + f);
        }
        return failures.isEmpty() ? 0 : StunetCommand.EXIT_FAILURE;
    }

    /**
     * Collects the previous case's garbage (its class sums, volumes and copies: gigabytes for a
     * large CT) before the next case allocates its own. The heap of {@code ./stunet predict}
     * grows only as needed (serial collector, no fixed maximum below 75% of memory); without
     * this the next case's arrays would first fill the space the dead ones hold and the heap
     * would grow around them, so a run of several cases peaked 0.6 GiB above its largest case
     * (docs/benchmarks.md). A full collection here costs tens of milliseconds per case.
     */
    private static void releaseFinishedCase() {
        System.gc();
    }

    /** Routes the engine's per-slab progress to the progress bar of the current case. */
    private static final class EngineProgress implements EngineListener {
        private final java.util.Map<Integer, int[]> slabs = new java.util.HashMap<>();
        private ProgressBar bar;

        synchronized void attach(ProgressBar bar) {
            this.bar = bar;
            slabs.clear();
        }

        synchronized void detach() {
            bar = null;
        }

        @Override
        public synchronized void onProgress(String caseId, int slabIndex, int done, int total) {
            if (bar == null) {
                return;
            }
            int[] previous = slabs.put(slabIndex, new int[] {done, total});
            int prevDone = previous == null ? 0 : previous[0];
            int prevTotal = previous == null ? 0 : previous[1];
            if (total != prevTotal) {
                bar.addTotal(total - prevTotal);
            }
            bar.step(done - prevDone, "inference");
        }
    }
}
