package io.stunet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stunet.cli.StunetCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code stunet bench nifti} runs both readers on the same files and prints a ratio per file
 * (timing is never asserted); the program registers {@code bench} because this module is on
 * the class path.
 */
class BenchCommandTest {
    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = StunetCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void benchNiftiPrintsASpeedUpForBothLayouts() {
        Run r = run("bench", "nifti", "--shape", "64,48,20", "--repeat", "1");
        assertEquals(0, r.exit(), r.err());
        Pattern row = Pattern.compile("^(\\.nii|\\.nii\\.gz)\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+x$");
        List<String> rows = r.out().lines().filter(l -> row.matcher(l).matches()).toList();
        assertEquals(2, rows.size(), r.out());
        assertTrue(rows.get(0).startsWith(".nii "), r.out());
    }

    @Test
    void badShapeIsAnInvalidRequest() {
        Run r = run("bench", "nifti", "--shape", "64,48");
        assertEquals(StunetCommand.EXIT_FAILURE, r.exit());
        assertTrue(r.err().startsWith("error: INVALID_REQUEST: "), r.err());
    }

    @Test
    void benchWithoutSubcommandListsThem() {
        Run r = run("bench");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("nifti"), r.out());
    }
}
