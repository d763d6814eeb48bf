package io.stunet.cli;

import io.stunet.error.StunetException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code stunet} program: one entry point whose subcommands cover every way of running
 * the pipeline, from looking at a file to serving the Kafka stages. Failures we raise on
 * purpose ({@link StunetException}) print one line with their error code and exit with 2;
 * the stack trace appears only with {@code --debug}. The benchmarks ({@code bench}) live in
 * their own module and are registered only when its classes are on the class path.
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
            JvmOptionsCommand.class,
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
            return 1;
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
        public String[] getVersion() throws IOException {
            return new String[] {"stunet " + version()};
        }

        static String version() throws IOException {
            Properties p = new Properties();
            try (InputStream in = StunetCommand.class.getResourceAsStream("/stunet-version.properties")) {
                if (in == null) {
                    throw new FileNotFoundException("stunet-version.properties is missing from the class path");
                }
                p.load(in);
            }
            return p.getProperty("version");
        }
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
