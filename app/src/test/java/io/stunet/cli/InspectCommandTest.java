package io.stunet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.testing.Python;
import io.stunet.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** {@code stunet inspect --json} reports what nibabel reports, key for key. */
class InspectCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

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

    @ParameterizedTest
    @ValueSource(strings = {"amos_0001_label.nii.gz", "anatomical.nii", "example4d.nii.gz", "example_ct_sm.nii.gz",
        "example_mr_sm.nii.gz", "example_nifti2.nii.gz", "example_seg.nii.gz", "standard.nii.gz"})
    void jsonMatchesNibabel(String name) throws Exception {
        Path file = TestData.nifti(name);
        Run r = run("inspect", "--json", file.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(1, r.out().strip().lines().count(), "exactly one JSON object on one line");
        JsonNode ours = JSON.readTree(r.out());
        JsonNode ref = JSON.readTree(Python.run(TestData.file("tools/reference/nifti_reference.py"), "inspect",
                file.toString()));
        assertEquals(names(ref), names(ours));
        for (String exact : List.of("format", "shape", "datatype", "axcodes", "qform_code", "sform_code",
                "canonical_shape", "min", "max")) {
            assertEquals(ref.get(exact), ours.get(exact), exact);
        }
        for (String close : List.of("spacing", "affine", "canonical_affine", "mean", "sum")) {
            assertClose(ref.get(close), ours.get(close), close);
        }
    }

    @Test
    void textModeShowsGeometry() {
        Run r = run("inspect", TestData.nifti("example_mr_sm.nii.gz").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("axcodes       LPS"), r.out());
        assertTrue(r.out().contains("datatype      int16"), r.out());
    }

    @Test
    void badFileGivesOneLineWithTheErrorCodeAndNoStackTrace() throws Exception {
        Path bad = tmp.resolve("bad.nii");
        Files.write(bad, new byte[400]);
        Run r = run("inspect", "--json", bad.toString());
        assertEquals(StunetCommand.EXIT_FAILURE, r.exit());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: INVALID_NIFTI: "), r.err());
        assertFalse(r.err().contains("\tat "), r.err());

        Run tooBig = run("inspect", "--max-voxels", "1000", TestData.nifti("example_ct_sm.nii.gz").toString());
        assertEquals(StunetCommand.EXIT_FAILURE, tooBig.exit());
        assertTrue(tooBig.err().startsWith("error: VOLUME_TOO_LARGE: "), tooBig.err());

        Run debug = run("inspect", "--debug", bad.toString());
        assertTrue(debug.err().contains("\tat "), "--debug prints the stack trace");
    }

    private static List<String> names(JsonNode n) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext();) {
            out.add(it.next());
        }
        return out;
    }

    private static void assertClose(JsonNode expected, JsonNode actual, String what) {
        if (expected.isArray()) {
            assertEquals(expected.size(), actual.size(), what);
            for (int i = 0; i < expected.size(); i++) {
                assertClose(expected.get(i), actual.get(i), what + "[" + i + "]");
            }
            return;
        }
        double e = expected.asDouble();
        double a = actual.asDouble();
        assertEquals(e, a, 1e-9 * Math.max(1, Math.abs(e)), what);
    }
}
