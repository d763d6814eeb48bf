package io.stunet.streaming;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.nifti.NiftiReader;
import io.stunet.export.ExportMode;
import io.stunet.postprocess.CaseFinisher;
import io.stunet.postprocess.Provenance;
import io.stunet.predict.StunetVersion;
import io.stunet.store.Digests;
import io.stunet.records.CaseState;
import io.stunet.testing.TestData;
import io.stunet.volume.Volume;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code run} end to end: real embedded broker, real DJL engine, sample CTs, compared with {@code predict}. */
public class PipelineRunTest {
    static final List<String> SAMPLES = List.of("example_ct_sm.nii.gz", "example_mr_sm.nii.gz", "anatomical.nii");

    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void model() {
        model = TinyModel.create(tmp.resolve("model"));
    }

    static PipelineRun.Options options(Path input, Path output, Path work, int slabs, boolean tta) {
        return new PipelineRun.Options(input, output, model, work, List.of("cpu", "cpu"), slabs, tta, 0.5, 1,
                "nearest", false, List.of(), false, 2, null, Duration.ofMinutes(5));
    }

    static Path predict(Path input, Path out, boolean tta) {
        return TinyModel.predict(model, input, out, tta);
    }

    static Path samples(Path dir) throws Exception {
        Files.createDirectories(dir);
        for (String s : SAMPLES) {
            Files.copy(TestData.nifti(s), dir.resolve(s));
        }
        return dir;
    }

    public static void assertSameOutputs(Path expected, Path actual, String name) throws Exception {
        Volume e = NiftiReader.read(expected.resolve(name + "_seg.nii.gz"));
        Volume a = NiftiReader.read(actual.resolve(name + "_seg.nii.gz"));
        assertArrayEquals(e.header().shape(), a.header().shape(), name);
        assertEquals(e.header().dataType(), a.header().dataType(), name);
        assertArrayEquals((byte[]) e.data(), (byte[]) a.data(), name + ": mask differs from predict");
        // The JSON documents agree except provenance.execution: slabs, devices and times are how and when it ran.
        for (String suffix : List.of("_stats.json", "_seg.json")) {
            assertEquals(Provenance.stablePart(Files.readAllBytes(expected.resolve(name + suffix))),
                    Provenance.stablePart(Files.readAllBytes(actual.resolve(name + suffix))),
                    name + suffix + " differs from predict");
        }
        JsonNode provenance = new ObjectMapper().readTree(actual.resolve(name + "_stats.json").toFile()).get("provenance");
        // A bundled NIfTI sample's checksum is its file's (DICOM cases record their assembled volume's).
        Optional<String> sample = sampleFile(name);
        if (sample.isPresent()) {
            assertEquals(Digests.sha256Hex(Files.readAllBytes(TestData.nifti(sample.get()))),
                    provenance.at("/input/sha256").asText(), name + ": input checksum");
        }
        assertEquals(StunetVersion.get(), provenance.get("version").asText());
        assertTrue(provenance.at("/execution/slabs").asInt() >= 1);
    }

    /** The bundled sample a case name comes from, if it is one. */
    static Optional<String> sampleFile(String caseName) {
        return SAMPLES.stream().filter(s -> io.stunet.predict.CaseFiles.caseName(Path.of(s)).equals(caseName))
                .findFirst();
    }

    @Test
    void runCollectsAfterEachSlabAndTakesTheDeliveryKeysFromItsConfiguration() throws Exception {
        Path yaml = tmp.resolve("run.yaml");
        java.nio.file.Files.writeString(yaml, "dicom.send.dimse: PACS@pacs.example.org:104\n");
        PipelineRun.Options o = options(tmp.resolve("in-config"), tmp.resolve("out-config"), tmp.resolve("work-config"), 1, false);
        PipelineRun.Options withFile = new PipelineRun.Options(o.input(), o.output(), o.model(), o.work(), o.devices(),
                o.slabs(), o.tta(), o.step(), o.batch(), o.export(), o.preview(), o.classes(), o.perClass(), o.intake(), yaml,
                o.timeout());
        io.stunet.config.StunetConfig config = PipelineRun.config(withFile);
        assertTrue(config.getBoolean(io.stunet.config.StunetConfig.INFER_COLLECT_AFTER_SLAB), "run collects after each slab");
        assertEquals("PACS@pacs.example.org:104", config.getOptional(io.stunet.config.StunetConfig.DICOM_SEND_DIMSE));
    }

    @Test
    void runMasksAreBitIdenticalToPredictAndARerunReusesResults() throws Exception {
        Path input = samples(tmp.resolve("in"));
        Path expected = predict(input, tmp.resolve("predict"), true);
        Path work = tmp.resolve("work");
        PipelineRun.Result r = PipelineRun.run(options(input, tmp.resolve("out"), work, 3, true), p -> { });
        assertEquals(0, r.failed(), () -> r.cases().toString());
        for (String s : SAMPLES) {
            assertSameOutputs(expected, tmp.resolve("out"), io.stunet.predict.CaseFiles.caseName(Path.of(s)));
        }
        // Same work directory: the broker resumes, every case is found COMPLETED and copied again, none recomputed.
        long before = System.currentTimeMillis();
        PipelineRun.Result again = PipelineRun.run(options(input, tmp.resolve("out2"), work, 3, true), p -> { });
        assertEquals(0, again.failed());
        assertTrue(again.events().stream().noneMatch(e -> e.atMillis() >= before && e.state() != CaseState.COMPLETED),
                "a completed case was processed again");
        for (String s : SAMPLES) {
            assertSameOutputs(expected, tmp.resolve("out2"), io.stunet.predict.CaseFiles.caseName(Path.of(s)));
        }
    }

    @Test
    void demoModelThroughRunMatchesPredict() throws Exception {
        // The bundled demo model runs ~1 s per patch on a 2-core machine, so a small volume (2 tiles x 8 mirrors).
        Path demo = TestData.file("models/demo");
        Path input = tmp.resolve("demo-in");
        Files.createDirectories(input);
        Files.copy(TestData.nifti("anatomical.nii"), input.resolve("anatomical.nii"));
        Path expected = TinyModel.predict(demo, input, tmp.resolve("demo-predict"), true);
        PipelineRun.Options o = new PipelineRun.Options(input, tmp.resolve("demo-out"), demo, tmp.resolve("demo-work"),
                List.of("cpu", "cpu"), 2, true, 0.5, 1, "nearest", false, List.of(), false, 2, null, Duration.ofMinutes(5));
        PipelineRun.Result r = PipelineRun.run(o, p -> { });
        assertEquals(0, r.failed(), () -> r.cases().toString());
        assertSameOutputs(expected, tmp.resolve("demo-out"), "anatomical");
    }

    @Test
    void classSubsetAndPerClassFilesThroughRunMatchPredict() throws Exception {
        Path input = tmp.resolve("subset-in");
        Files.createDirectories(input);
        Files.copy(TestData.nifti("example_ct_sm.nii.gz"), input.resolve("example_ct_sm.nii.gz"));
        Path expected = TinyModel.predict(model, input, tmp.resolve("subset-predict"), false,
                new CaseFinisher.Options(ExportMode.NEAREST, false, List.of("c", "a"), true, null));
        PipelineRun.Options o = new PipelineRun.Options(input, tmp.resolve("subset-out"), model, tmp.resolve("subset-work"),
                List.of("cpu", "cpu"), 2, false, 0.5, 1, "nearest", false, List.of("c", "a"), true, 2, null,
                Duration.ofMinutes(5));
        PipelineRun.Result r = PipelineRun.run(o, p -> { });
        assertEquals(0, r.failed(), () -> r.cases().toString());
        Path actual = tmp.resolve("subset-out");
        assertSameOutputs(expected, actual, "example_ct_sm");
        for (String part : List.of("a.nii.gz", "c.nii.gz")) {
            assertArrayEquals(Files.readAllBytes(expected.resolve("example_ct_sm_seg").resolve(part)),
                    Files.readAllBytes(actual.resolve("example_ct_sm_seg").resolve(part)), part);
        }
        try (var files = Files.list(actual.resolve("example_ct_sm_seg"))) {
            assertEquals(2, files.count(), "one file per kept class");
        }
        JsonNode p = new ObjectMapper().readTree(actual.resolve("example_ct_sm_seg.json").toFile()).get("provenance");
        assertEquals("[\"a\",\"c\"]", p.at("/options/classes").toString());
        assertEquals(2, p.at("/execution/slabs").asInt());
        // Unknown names stop the run before anything is submitted.
        StunetException e = org.junit.jupiter.api.Assertions.assertThrows(StunetException.class, () -> PipelineRun.run(
                new PipelineRun.Options(input, tmp.resolve("bad-out"), model, tmp.resolve("bad-work"), List.of("cpu"), 1,
                        false, 0.5, 1, "nearest", false, List.of("e"), false, 2, null, Duration.ofMinutes(1)), p2 -> { }));
        assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    }

    @Test
    void runReportsInputsIngestRefusesAndCompletesTheRest() throws Exception {
        Path input = tmp.resolve("mixed-in");
        Files.createDirectories(input);
        Files.copy(TestData.nifti("anatomical.nii"), input.resolve("anatomical.nii"));
        Path fourD = input.resolve("example4d.nii.gz");
        Files.copy(TestData.nifti("example4d.nii.gz"), fourD);
        ErrorCode expected;
        try {
            NiftiReader.read(fourD).require3d();
            throw new AssertionError("4-D sample reads as 3-D");
        } catch (StunetException e) {
            expected = e.code();
        }
        PipelineRun.Result r = PipelineRun.run(options(input, tmp.resolve("mixed-out"), tmp.resolve("mixed-work"), 1, false),
                p -> { });
        assertEquals(1, r.failed(), () -> r.cases().toString());
        for (PipelineRun.CaseOutcome c : r.cases()) {
            if (c.name().equals("example4d")) {
                assertEquals(CaseState.FAILED, c.state());
                assertEquals(expected, c.code());
            } else {
                assertEquals(CaseState.COMPLETED, c.state());
                assertTrue(Files.exists(tmp.resolve("mixed-out").resolve(c.name() + "_seg.nii.gz")));
            }
        }
    }
}
