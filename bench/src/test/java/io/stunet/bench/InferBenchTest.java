package io.stunet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stunet.cli.StunetCommand;
import io.stunet.testing.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench infer}'s predict part: the engine child ({@code case --ct}) runs a CT through
 * predict's own segmenter and writes predict's outputs, and the phases are read from predict's
 * real progress output (timings are never asserted, only that each phase was measured).
 */
class InferBenchTest {
    @TempDir
    Path tmp;

    @Test
    void caseWithACtWritesPredictsOutputsAndTimesEveryPhase() throws Exception {
        Path model = TestData.file("models/demo");
        Path ct = TestData.nifti("example_ct_sm.nii.gz");
        Path predictOut = tmp.resolve("predict");
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int exit;
        try (PrintStream captured = new PrintStream(log, true, StandardCharsets.UTF_8)) {
            System.setOut(captured);
            System.setErr(captured);
            exit = StunetCommand.commandLine().execute("predict", ct.toString(), "--model", model.toString(), "--no-tta",
                    "--out", predictOut.toString());
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        String predictLog = log.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, predictLog);

        Map<String, Double> phases = InferBench.predictLog(predictLog);
        List<String> order = List.of("reading", "preprocessing", "inference", "export", "statistics", "done");
        for (int i = 0; i < order.size(); i++) {
            assertTrue(phases.containsKey(order.get(i)), order.get(i) + " missing from " + predictLog);
            if (i > 0) {
                assertTrue(phases.get(order.get(i - 1)) <= phases.get(order.get(i)), predictLog);
            }
        }
        assertTrue(phases.get("counted") >= phases.get("done"), predictLog);

        Path childOut = tmp.resolve("child");
        Map<String, Double> r = InferBench.parse(InferBench.runCase(Map.of("model", model.toString(), "ct", ct.toString(),
                "out", childOut.toString())));
        for (String k : List.of("openSeconds", "warmUpSeconds", "readSeconds", "preprocessSeconds", "seconds",
                "outputSeconds", "forwardSeconds", "aggregateSeconds", "peakRssBytes")) {
            assertTrue(r.containsKey(k) && r.get(k) >= 0, k + " in " + r);
        }
        assertTrue(r.get("inputs") > 0, r.toString());
        assertTrue(InferBench.sameNifti(childOut, predictOut), "the child's NIfTI outputs differ from predict's");

        Path mask = childOut.resolve("example_ct_sm_seg.nii.gz");
        byte[] bytes = Files.readAllBytes(mask);
        bytes[bytes.length / 2] ^= 1;
        Files.write(mask, bytes);
        assertFalse(InferBench.sameNifti(childOut, predictOut));
        assertFalse(InferBench.sameNifti(Files.createDirectories(tmp.resolve("empty")), predictOut));
    }
}
