package io.stunet.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code stunet bench}: performance harnesses that time our code against the Python
 * reference in the same run and print the ratio. Numbers are informational; nothing gates on
 * them.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks against the Python reference (informational).",
        subcommands = {BenchPreprocessCommand.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
