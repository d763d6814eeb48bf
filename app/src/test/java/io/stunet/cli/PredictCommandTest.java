package io.stunet.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.nifti.NiftiReader;
import io.stunet.nifti.NiftiWriter;
import io.stunet.testing.FullCollections;
import io.stunet.testing.TestData;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import io.stunet.model.ModelCard;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stunet predict} as a user runs it, with the committed demo model on the bundled CT:
 * outputs on the input grid, per-case failures that do not stop the cohort, 4-D inputs, thin
 * volumes, and slab/device splits that must not change a single voxel.
 */
class PredictCommandTest {
    @TempDir
    Path tmp;

    private record Run(int exit, String out) {
    }

    private Run predict(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            String[] full = new String[args.length + 3];
            full[0] = "predict";
            full[1] = "--model";
            full[2] = TestData.file("models/demo").toString();
            System.arraycopy(args, 0, full, 3, args.length);
            int exit = StunetCommand.commandLine().execute(full);
            return new Run(exit, captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(saved);
        }
    }

    @Test
    void writesMaskStatsAndPreviewOnTheInputGrid() throws IOException {
        Path ct = TestData.nifti("example_ct_sm.nii.gz");
        Path out = tmp.resolve("out");
        Run run = predict(ct.toString(), "--out", out.toString(), "--no-tta", "--preview");
        assertEquals(0, run.exit(), run.out());

        Volume input = NiftiReader.read(ct);
        Volume mask = NiftiReader.read(out.resolve("example_ct_sm_seg.nii.gz"));
        assertArrayEquals(input.shape(), mask.shape());
        assertEquals(DataType.UINT8, mask.dataType());
        assertArrayEquals(input.affine().toArray(), mask.affine().toArray(), 1e-6);
        assertEquals(input.header().sformCode(), mask.header().sformCode());
        assertEquals(input.header().qformCode(), mask.header().qformCode());

        JsonNode stats = new ObjectMapper().readTree(out.resolve("example_ct_sm_stats.json").toFile());
        assertEquals("stunet.stats", stats.get("schema").asText());
        long voxels = 0;
        for (JsonNode c : stats.get("classes")) {
            voxels += c.get("voxels").asLong();
        }
        long foreground = 0;
        for (byte b : mask.bytes()) {
            if (b != 0) {
                foreground++;
            }
        }
        assertTrue(foreground > 0, "the demo model finds the body");
        assertEquals(foreground, voxels, "stats count every labelled voxel of the mask");
        assertTrue(Files.size(out.resolve("example_ct_sm_preview.png")) > 1000);
    }

    @Test
    void failingCasesAreReportedAndTheOthersComplete() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.copy(TestData.nifti("example_ct_sm.nii.gz"), in.resolve("good.nii.gz"));
        Files.copy(TestData.nifti("example4d.nii.gz"), in.resolve("fourd.nii.gz"));
        byte[] whole = Files.readAllBytes(TestData.nifti("example_ct_sm.nii.gz"));
        Files.write(in.resolve("truncated.nii.gz"), Arrays.copyOf(whole, whole.length / 2));
        Path out = tmp.resolve("out");

        long collections = FullCollections.count();
        Run run = predict(in.toString(), "--out", out.toString(), "--no-tta");
        assertEquals(StunetCommand.EXIT_FAILURE, run.exit(), run.out());
        // The finished case's garbage is collected before each next case (the heap then peaks at the largest case).
        assertTrue(FullCollections.count() - collections >= 2, "full collections between the three cases");
        assertTrue(Files.exists(out.resolve("good_seg.nii.gz")), run.out());
        assertTrue(run.out().contains("fourd: UNSUPPORTED_DIMENSIONS"), run.out());
        assertTrue(run.out().contains("truncated: TRUNCATED_DATA"), run.out());
        assertTrue(run.out().contains("1 case(s) segmented, 2 failed"), run.out());
        assertFalse(Files.exists(out.resolve("fourd_seg.nii.gz")));
    }

    @Test
    void fourDimensionalInputWithOneVolumeGivesTheSameMask() throws IOException {
        Volume ct = NiftiReader.read(TestData.nifti("example_ct_sm.nii.gz"));
        Path in = Files.createDirectories(tmp.resolve("in"));
        NiftiWriter.write(in.resolve("ct4d.nii.gz"),
                Volume.wrap(ct.header().withShape(ct.nx(), ct.ny(), ct.nz(), 1), ct.shorts()));
        NiftiWriter.write(in.resolve("ct3d.nii.gz"), ct);
        Path out = tmp.resolve("out");

        Run run = predict(in.toString(), "--out", out.toString(), "--no-tta");
        assertEquals(0, run.exit(), run.out());
        assertArrayEquals(NiftiReader.read(out.resolve("ct3d_seg.nii.gz")).bytes(),
                NiftiReader.read(out.resolve("ct4d_seg.nii.gz")).bytes());
    }

    @Test
    void slabsAndDevicesDoNotChangeTheMask() throws IOException {
        Path ct = TestData.nifti("example_ct_sm.nii.gz");
        Run whole = predict(ct.toString(), "--out", tmp.resolve("whole").toString(), "--no-tta");
        Run split = predict(ct.toString(), "--out", tmp.resolve("split").toString(), "--no-tta",
                "--slabs", "3", "--devices", "cpu,cpu");
        assertEquals(0, whole.exit(), whole.out());
        assertEquals(0, split.exit(), split.out());
        assertArrayEquals(NiftiReader.read(tmp.resolve("whole/example_ct_sm_seg.nii.gz")).bytes(),
                NiftiReader.read(tmp.resolve("split/example_ct_sm_seg.nii.gz")).bytes());
    }

    @Test
    void singleSliceVolumeIsSegmentedOnItsOwnGrid() throws IOException {
        Volume ct = NiftiReader.read(TestData.nifti("example_ct_sm.nii.gz"));
        int plane = ct.nx() * ct.ny();
        short[] slice = Arrays.copyOfRange(ct.shorts(), plane * (ct.nz() / 2), plane * (ct.nz() / 2 + 1));
        Path thin = tmp.resolve("thin.nii.gz");
        NiftiWriter.write(thin, Volume.wrap(ct.header().withShape(ct.nx(), ct.ny(), 1), slice));
        Path out = tmp.resolve("out");

        Run run = predict(thin.toString(), "--out", out.toString(), "--no-tta");
        assertEquals(0, run.exit(), run.out());
        Volume mask = NiftiReader.read(out.resolve("thin_seg.nii.gz"));
        assertArrayEquals(new int[] {ct.nx(), ct.ny(), 1}, mask.shape());
    }

    @Test
    void badOptionValuesAreUsageErrorsWithACode() {
        for (String command : List.of("predict", "run")) {
            StringWriter err = new StringWriter();
            CommandLine cl = StunetCommand.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int exit = cl.execute(command, "--model", TestData.file("models/demo").toString(),
                    "-i", TestData.nifti("example_ct_sm.nii.gz").toString(), "--out", tmp.toString(), "--export", "cubic");
            assertEquals(StunetCommand.EXIT_USAGE, exit, command + ": " + err);
            assertTrue(err.toString().contains("INVALID_REQUEST: --export must be nearest or linear: cubic"), err.toString());
            assertFalse(Files.exists(tmp.resolve("example_ct_sm_seg.nii.gz")), command);
        }
    }

    @Test
    void classSubsetWithPerClassMasksLabelTableAndProvenance() throws Exception {
        Path ct = TestData.nifti("example_ct_sm.nii.gz");
        Run all = predict(ct.toString(), "--out", tmp.resolve("all").toString(), "--no-tta");
        Run some = predict(ct.toString(), "--out", tmp.resolve("some").toString(), "--no-tta",
                "--classes", "bone,body", "--per-class");
        assertEquals(0, all.exit(), all.out());
        assertEquals(0, some.exit(), some.out());
        Path out = tmp.resolve("some");
        ObjectMapper json = new ObjectMapper();

        // The label table names the kept labels, which keep their values; every other label is 0.
        JsonNode table = json.readTree(out.resolve("example_ct_sm_seg.json").toFile());
        assertEquals("stunet.seg", table.get("schema").asText());
        Map<String, Integer> values = new TreeMap<>();
        for (JsonNode e : table.get("labels")) {
            values.put(e.get("name").asText(), e.get("value").asInt());
        }
        ModelCard card = ModelCard.load(TestData.file("models/demo"));
        assertEquals(Map.of("background", 0, "body", card.classes().indexOf("body"), "bone",
                card.classes().indexOf("bone")), values);
        byte[] full = NiftiReader.read(tmp.resolve("all/example_ct_sm_seg.nii.gz")).bytes();
        byte[] mask = NiftiReader.read(out.resolve("example_ct_sm_seg.nii.gz")).bytes();
        for (int i = 0; i < full.length; i++) {
            assertEquals(values.containsValue(full[i] & 0xFF) ? full[i] : 0, mask[i], "voxel " + i);
        }

        // One binary file per kept class, equal to the multi-class mask's voxels of that label.
        try (Stream<Path> files = Files.list(out.resolve("example_ct_sm_seg"))) {
            assertEquals(List.of("body.nii.gz", "bone.nii.gz"),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
        for (String name : List.of("body", "bone")) {
            Volume binary = NiftiReader.read(out.resolve("example_ct_sm_seg/" + name + ".nii.gz"));
            byte[] b = binary.bytes();
            long inside = 0;
            for (int i = 0; i < b.length; i++) {
                assertEquals((mask[i] & 0xFF) == values.get(name) ? 1 : 0, b[i], name + " voxel " + i);
                inside += b[i];
            }
            assertTrue(inside > 0, name + " is found");
            assertArrayEquals(NiftiReader.read(ct).affine().toArray(), binary.affine().toArray(), 1e-6);
        }

        JsonNode stats = json.readTree(out.resolve("example_ct_sm_stats.json").toFile());
        List<String> statClasses = new ArrayList<>();
        stats.get("classes").fieldNames().forEachRemaining(statClasses::add);
        assertEquals(List.of("body", "bone"), statClasses);

        // Provenance: the same object in both documents, checked against independent sources.
        JsonNode p = stats.get("provenance");
        assertEquals(p, table.get("provenance"));
        String inputSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(ct)));
        assertEquals(inputSha, p.at("/input/sha256").asText());
        assertEquals(json.readTree(TestData.file("models/demo").resolve("model.json").toFile()).get("modelSha256"),
                p.at("/model/sha256"));
        assertEquals("demo", p.at("/model/name").asText());
        assertEquals(versionPrinted(), "stunet " + p.get("version").asText());
        assertFalse(p.at("/options/tta").asBoolean());
        assertEquals(0.5, p.at("/options/step").asDouble());
        assertEquals("nearest", p.at("/options/export").asText());
        assertEquals("[\"body\",\"bone\"]", p.at("/options/classes").toString());
        assertTrue(p.at("/options/perClass").asBoolean());
        assertEquals(1, p.at("/execution/slabs").asInt());
        assertEquals("[\"cpu\"]", p.at("/execution/devices").toString());
        Instant started = Instant.parse(p.at("/execution/startedAt").asText());
        Instant finished = Instant.parse(p.at("/execution/finishedAt").asText());
        assertTrue(p.at("/execution/finishedAt").asText().endsWith("Z"));
        assertFalse(finished.isBefore(started));
        assertTrue(Duration.between(started, Instant.now()).toMinutes() < 30, "started during this test");
        // Without --classes the provenance says "all classes".
        JsonNode allStats = json.readTree(tmp.resolve("all/example_ct_sm_stats.json").toFile());
        assertTrue(allStats.at("/provenance/options/classes").isNull());
        assertFalse(Files.exists(tmp.resolve("all/example_ct_sm_seg")));
    }

    /** What {@code stunet -V} prints. */
    private static String versionPrinted() {
        StringWriter w = new StringWriter();
        CommandLine cl = StunetCommand.commandLine();
        cl.setOut(new PrintWriter(w));
        assertEquals(0, cl.execute("-V"));
        return w.toString().strip();
    }

    @Test
    void unknownClassNamesAreRefusedWithTheValidNames() {
        StringWriter err = new StringWriter();
        CommandLine cl = StunetCommand.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute("predict", "--model", TestData.file("models/demo").toString(),
                TestData.nifti("example_ct_sm.nii.gz").toString(), "--out", tmp.toString(), "--classes", "liver,bone");
        assertEquals(StunetCommand.EXIT_USAGE, exit, "a wrong class name is a wrong command line");
        String message = err.toString();
        assertTrue(message.contains("INVALID_REQUEST"), message);
        assertTrue(message.contains("liver"), message);
        assertTrue(message.contains("valid names: body, bone, air_inside_body"), message);
        assertFalse(Files.exists(tmp.resolve("example_ct_sm_seg.nii.gz")));
    }
}
