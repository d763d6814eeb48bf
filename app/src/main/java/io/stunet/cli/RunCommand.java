package io.stunet.cli;

import io.stunet.model.ModelCard;
import io.stunet.records.CaseState;
import io.stunet.streaming.PipelineRun;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code stunet run}: every NIfTI file of a folder through the streaming pipeline in this JVM
 * (embedded Kafka broker, claim-check store and all stages), with a progress bar fed by the
 * status topic. Broker data and blobs live under the work directory, so running again after
 * an interruption resumes instead of starting over. Exit status 0 when every case completed,
 * {@link StunetCommand#EXIT_USAGE} for a bad option value (checked against the model before the
 * pipeline starts), {@link StunetCommand#EXIT_FAILURE} with a summary of the failed cases otherwise.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Segment every NIfTI file of a folder through Kafka (embedded broker, all stages in one JVM).")
public final class RunCommand implements Callable<Integer> {
    @Option(names = {"-i", "--input"}, paramLabel = "DIR", defaultValue = BundledPaths.SAMPLES,
            description = "Folder of .nii/.nii.gz files. Default: the bundled sample CT (${DEFAULT-VALUE}).")
    Path input;

    @Option(names = {"-o", "--output", "--out"}, paramLabel = "DIR", defaultValue = "out/run",
            description = "Where NAME_seg.nii.gz, NAME_seg.json and NAME_stats.json go. Default: ${DEFAULT-VALUE}.")
    Path output;

    @Option(names = {"-m", "--model"}, paramLabel = "DIR", defaultValue = BundledPaths.DEMO_MODEL,
            description = "Model directory (model.json + model.pt). Default: ${DEFAULT-VALUE}.")
    Path model;

    @Option(names = "--work", paramLabel = "DIR", defaultValue = "work",
            description = "Broker data and blob store (kept, so a restart resumes). Default: ${DEFAULT-VALUE}.")
    Path work;

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (YAML or properties); options here win.")
    Path config;

    @Option(names = "--intake", defaultValue = "4", description = "Slabs the engine holds at once (default: ${DEFAULT-VALUE}).")
    int intake;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Give up waiting after this many seconds (default: none).")
    Long timeout;

    @Mixin
    SegmentationOptions seg;

    @ParentCommand
    StunetCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        seg.check(spec.commandLine(), ModelCard.load(BundledPaths.resolve(model)));
        PipelineRun.Options o = new PipelineRun.Options(BundledPaths.resolve(input), output, BundledPaths.resolve(model), work, seg.devices, seg.slabs, seg.tta, seg.step,
                seg.batch, seg.export, seg.preview, seg.classes, seg.perClass, intake, config, timeout == null ? null : Duration.ofSeconds(timeout));
        PipelineRun.Result r;
        try (ProgressBar bar = new ProgressBar(StunetCommand.progressOut(root), "run", 1000)) {
            long[] shown = {0};
            r = PipelineRun.run(o, p -> {
                long now = Math.round(p[0] * 1000);
                synchronized (shown) {
                    bar.step(now - shown[0], String.format(Locale.ROOT, "%d/%d cases done", (long) p[1], (long) p[2]));
                    shown[0] = now;
                }
            });
        }
        long failed = r.failed();
        System.out.printf(Locale.ROOT, "%d case(s) segmented, %d failed in %.1f s; outputs in %s%n",
                r.cases().size() - failed, failed, r.seconds(), output);
        for (PipelineRun.CaseOutcome c : r.cases()) {
            if (c.state() != CaseState.COMPLETED) {
                System.out.println("  failed " + c.name() + ": " + c.code() + ": " + c.message());
            }
        }
        return failed == 0 ? 0 : StunetCommand.EXIT_FAILURE;
    }
}
