package io.stunet.cli;

import io.stunet.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command-line habits nnU-Net and TotalSegmentator users bring: short aliases that mean
 * the same in {@code predict} and {@code run}, distinct exit statuses for a wrong command line
 * and for failed work, and {@code --quiet}.
 */
class CliHabitsTest {
    @TempDir
    Path tmp;

    private record Result(int exit, String out, String err) {
    }

    private static Result execute(String... args) {
        PrintStream savedErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter out = new StringWriter();
        StringWriter picoErr = new StringWriter();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cl = StunetCommand.commandLine();
            cl.setOut(new PrintWriter(out));
            cl.setErr(new PrintWriter(picoErr));
            int exit = cl.execute(args);
            return new Result(exit, out.toString(), picoErr + err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(savedErr);
        }
    }

    @Test
    void shortAliasesAreTheSameOptionsInPredictAndRun() {
        for (String command : List.of("predict", "run")) {
            CommandLine sub = StunetCommand.commandLine().getSubcommands().get(command);
            for (String[] names : new String[][] {{"-i", "--input"}, {"-o", "--output"}, {"-m", "--model"}}) {
                CommandLine.Model.OptionSpec a = sub.getCommandSpec().findOption(names[0]);
                CommandLine.Model.OptionSpec b = sub.getCommandSpec().findOption(names[1]);
                assertTrue(a != null && a == b, command + " " + names[0] + " is " + names[1]);
            }
            for (String shared : List.of("--tta", "--step", "--batch", "--devices", "--slabs", "--export", "--preview")) {
                assertTrue(sub.getCommandSpec().findOption(shared) != null, command + " has " + shared);
            }
        }
    }

    @Test
    void aWrongCommandLineIsAUsageErrorNotAFailedCase() {
        Result unknown = execute("predict", "--no-such-option");
        assertEquals(StunetCommand.EXIT_USAGE, unknown.exit(), unknown.err());
        Result both = execute("predict", "a.nii.gz", "-i", "b.nii.gz");
        assertEquals(StunetCommand.EXIT_USAGE, both.exit(), both.err());
        assertTrue(both.err().contains("not both"), both.err());
        assertFalse(StunetCommand.EXIT_USAGE == StunetCommand.EXIT_FAILURE);
    }

    @Test
    void quietPredictWithAliasesWritesTheMaskAndNoProgress() throws Exception {
        Path out = tmp.resolve("out");
        Result r = execute("predict", "-q", "-i", TestData.nifti("example_ct_sm.nii.gz").toString(),
                "-m", TestData.file("models/demo").toString(), "-o", out.toString(), "--no-tta");
        assertEquals(StunetCommand.EXIT_OK, r.exit(), r.err());
        assertTrue(Files.exists(out.resolve("example_ct_sm_seg.nii.gz")));
        assertFalse(r.err().contains("%"), "no progress lines with --quiet:\n" + r.err());
    }

    @Test
    void aCaseThatFailsGivesTheFailureStatus() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.copy(TestData.nifti("example4d.nii.gz"), in.resolve("fourd.nii.gz"));
        Result r = execute("predict", "-i", in.toString(), "-m", TestData.file("models/demo").toString(),
                "-o", tmp.resolve("o").toString(), "--no-tta", "--quiet");
        assertEquals(StunetCommand.EXIT_FAILURE, r.exit(), r.err());
    }
}
