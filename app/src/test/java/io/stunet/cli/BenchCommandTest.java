package io.stunet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code stunet bench nifti} runs both readers on the same files and prints a ratio per file (timing is never asserted). */
class BenchCommandTest {
    @Test
    void benchNiftiPrintsASpeedUpForBothLayouts() {
        InspectCommandTest.Run r = InspectCommandTest.run("bench", "nifti", "--shape", "64,48,20", "--repeat", "1");
        assertEquals(0, r.exit(), r.err());
        Pattern row = Pattern.compile("^(\\.nii|\\.nii\\.gz)\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+x$");
        List<String> rows = r.out().lines().filter(l -> row.matcher(l).matches()).toList();
        assertEquals(2, rows.size(), r.out());
        assertTrue(rows.get(0).startsWith(".nii "), r.out());
    }

    @Test
    void badShapeIsAnInvalidRequest() {
        InspectCommandTest.Run r = InspectCommandTest.run("bench", "nifti", "--shape", "64,48");
        assertEquals(StunetCommand.EXIT_FAILURE, r.exit());
        assertTrue(r.err().startsWith("error: INVALID_REQUEST: "), r.err());
    }

    @Test
    void benchWithoutSubcommandListsThem() {
        InspectCommandTest.Run r = InspectCommandTest.run("bench");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("nifti"), r.out());
    }
}
