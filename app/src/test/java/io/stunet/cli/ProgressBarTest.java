package io.stunet.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressBarTest {
    private static List<String> lines(ByteArrayOutputStream bytes) {
        return Arrays.asList(bytes.toString(StandardCharsets.UTF_8).split("\n"));
    }

    @Test
    void withoutATerminalEachStepIsOneLineAndTheCompleteLineIsNeverRepeated() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), "case", 0, false)) {
            bar.detail("reading");
            bar.detail("reading");
            bar.addTotal(4);
            bar.step(1, "inference");
            bar.step(1, "inference");
            bar.step(1, "inference");
            bar.step(1, "inference");
            bar.detail("inference");
            bar.step(0, "inference");
            bar.detail("export");
        }
        List<String> lines = lines(bytes);
        long complete = lines.stream().filter(l -> l.contains("100% 4/4") && l.endsWith("inference")).count();
        assertEquals(1, complete, String.join("\n", lines));
        assertEquals(1, lines.stream().filter(l -> l.endsWith("reading")).count(), String.join("\n", lines));
        assertTrue(lines.get(lines.size() - 1).endsWith("export"), String.join("\n", lines));
        // reading (no count yet), the first inference step, its completion, export: the two middle steps
        // fall inside the plain-line interval.
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.stream().noneMatch(l -> l.contains("\r")), "no carriage returns in a log");
        // The bar only while counting: none before the total is known, none after the complete line.
        assertTrue(lines.stream().noneMatch(l -> l.contains("0/0")), String.join("\n", lines));
        assertEquals(1, lines.stream().filter(l -> l.contains("100%")).count(), String.join("\n", lines));
        assertTrue(lines.get(0).matches("case [0-9]+\\.[0-9]s reading"), lines.get(0));
        assertTrue(lines.get(lines.size() - 1).matches("case [0-9]+\\.[0-9]s export"), lines.get(lines.size() - 1));
    }

    @Test
    void onATerminalTheLineIsRedrawnInPlace() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), "case", 0, true)) {
            bar.detail("reading");
            bar.addTotal(2);
            bar.step(1, "a");
            bar.step(1, "a");
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\r"), out);
        assertEquals(1, out.chars().filter(c -> c == '\n').count(), "one newline at the end");
        assertFalse(out.contains("0/0"), "no count before the total is known: " + out);
        assertTrue(out.contains("] 100% 2/2 "), out);
    }
}
