package io.stunet.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code stunet bench ...}: performance checks against the reference implementations,
 * measured in the same invocation so that ratios, not absolute times, are what counts.
 * Each area adds its own subcommand; this parent only groups them.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks against the Python reference, measured in the same run.",
        subcommands = {
            BenchNiftiCommand.class,
            BenchPreprocessCommand.class,
            BenchPipelineCommand.class,
            BenchInferCommand.class,
            BenchDicomCommand.class,
        })
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
