package io.stunet.cli;

import io.stunet.error.StunetException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code stunet} program: one entry point whose subcommands cover every way of running
 * the pipeline, from looking at a file to serving the Kafka stages. Failures we raise on
 * purpose ({@link StunetException}) print one line with their error code and exit with 2;
 * the stack trace appears only with {@code --debug}.
 */
@Command(name = "stunet",
        mixinStandardHelpOptions = true,
        version = "stunet 0.1.0",
        description = "Streaming STU-Net 3-D medical image segmentation.",
        subcommands = {
            CommandLine.HelpCommand.class,
            InspectCommand.class,
            PreprocessCommand.class,
            PredictCommand.class,
            RunCommand.class,
            ServeCommand.class,
            BrokerCommand.class,
            BenchCommand.class,
        })
public final class StunetCommand implements Runnable {
    /** Exit status for failures with an error code (bad input, bad model, ...). */
    public static final int EXIT_FAILURE = 2;

    @CommandLine.Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of failures.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Builds the command line with the error handling shared by all subcommands. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new StunetCommand());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean debug = parseResult.hasMatchedOption("--debug")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--debug"));
            if (debug) {
                ex.printStackTrace(commandLine.getErr());
            }
            if (ex instanceof StunetException se) {
                commandLine.getErr().println("error: " + se.summary());
                return EXIT_FAILURE;
            }
            commandLine.getErr().println("error: INTERNAL: " + ex);
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
