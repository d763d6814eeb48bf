package io.stunet.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.stunet.error.StunetException;
import org.slf4j.LoggerFactory;
import io.stunet.predict.StunetVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Optional;

/**
 * The {@code stunet} program: one entry point whose subcommands cover every way of running
 * the pipeline, from looking at a file to serving the Kafka stages. Exit statuses:
 * {@value #EXIT_OK} success; {@value #EXIT_INTERNAL} an unexpected internal error;
 * {@value #EXIT_USAGE} a usage error (unknown option, bad value: nothing was done);
 * {@value #EXIT_FAILURE} a failure we raise on purpose ({@link StunetException}: bad input,
 * bad model, ...) or, for commands over many cases, at least one failed case. A failure
 * prints one line with its error code; the stack trace appears only with {@code --debug}.
 * The benchmarks ({@code bench}) live in their own module and are registered only when its
 * classes are on the class path.
 */
@Command(name = "stunet",
        mixinStandardHelpOptions = true,
        versionProvider = StunetCommand.Version.class,
        description = "Streaming STU-Net 3-D medical image segmentation.",
        subcommands = {
            CommandLine.HelpCommand.class,
            InspectCommand.class,
            PreprocessCommand.class,
            PredictCommand.class,
            RunCommand.class,
            ServeCommand.class,
            BrokerCommand.class,
        })
public final class StunetCommand implements Runnable {
    public static final int EXIT_OK = 0;
    /** An unexpected internal error (a bug): the message says INTERNAL. */
    public static final int EXIT_INTERNAL = 1;
    /** The command line was wrong (picocli's usage status); nothing was done. */
    public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;
    /** Failures with an error code (bad input, bad model, ...), or some cases failed. */
    public static final int EXIT_FAILURE = 3;

    @CommandLine.Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of failures.")
    boolean debug;

    private boolean quiet;

    @CommandLine.Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
            description = "No progress output and only warnings and errors in the log.")
    void quiet(boolean quiet) {
        this.quiet = quiet;
        if (quiet) {
            logLevel(Level.WARN);
        }
    }

    @CommandLine.Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Debug messages of the program in the log.")
    void verbose(boolean verbose) {
        if (verbose) {
            ((Logger) LoggerFactory.getLogger("io.stunet")).setLevel(Level.DEBUG);
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static void logLevel(Level level) {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(level);
    }

    /** Where a subcommand of {@code root} draws its progress: stderr, or nowhere with {@code --quiet}. */
    static PrintStream progressOut(StunetCommand root) {
        return root != null && root.quiet ? new PrintStream(OutputStream.nullOutputStream()) : System.err;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Class of the {@code bench} command in the bench module, present only on that module's class path. */
    static final String BENCH_COMMAND = "io.stunet.bench.BenchCommand";

    /** Builds the command line with the error handling shared by all subcommands. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new StunetCommand());
        benchCommand().ifPresent(cl::addSubcommand);
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
            return EXIT_INTERNAL;
        });
        return cl;
    }

    private static Optional<Object> benchCommand() {
        try {
            return Optional.of(Class.forName(BENCH_COMMAND).getDeclaredConstructor().newInstance());
        } catch (ClassNotFoundException e) {
            return Optional.empty();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + BENCH_COMMAND, e);
        }
    }

    /** {@code -V}: the Maven project version, filtered into {@code stunet-version.properties} at build time. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"stunet " + StunetVersion.get()};
        }
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
