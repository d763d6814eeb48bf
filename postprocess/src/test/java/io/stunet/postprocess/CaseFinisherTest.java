package io.stunet.postprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.export.ExportMode;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiReader;
import io.stunet.preview.LegendEntry;
import io.stunet.preview.Preview;
import io.stunet.preview.PreviewRenderer;
import io.stunet.preview.Window;
import io.stunet.slab.SlabLabels;
import io.stunet.store.Digests;
import io.stunet.testing.TestData;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CaseFinisher}'s outputs on real data: the bundled CT ({@code example_ct_sm}) with
 * TotalSegmentator's segmentation of it ({@code example_seg}, 117 classes) as the case's
 * network-space labels on an identity preprocessing (same grid, no crop, no resampling), so
 * the exported mask must be that segmentation voxel for voxel. The class names are
 * placeholders ({@code class_k}) on the demo model's card, as that file's names are not bundled.
 */
class CaseFinisherTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant STARTED = Instant.parse("2024-05-01T12:00:00.250Z");
    static final Instant FINISHED = Instant.parse("2024-05-01T12:00:07.125Z");

    static Volume ct;
    static byte[] seg;
    static ModelCard card;
    static SlabLabels labels;
    static PreprocessingProperties identity;
    static String inputSha;

    @BeforeAll
    static void load() throws Exception {
        Path ctFile = TestData.nifti("example_ct_sm.nii.gz");
        ct = NiftiReader.read(ctFile).require3d();
        Volume s = NiftiReader.read(TestData.nifti("example_seg.nii.gz"));
        assertEquals(DataType.UINT8, s.dataType());
        seg = s.bytes();
        int max = 0;
        for (byte b : seg) {
            max = Math.max(max, b & 0xFF);
        }
        ObjectNode tree = (ObjectNode) JSON.readTree(TestData.file("models/demo").resolve("model.json").toFile());
        var names = tree.putArray("classes").add("background");
        for (int k = 1; k <= max; k++) {
            names.add("class_" + k);
        }
        card = ModelCard.parse(tree, TestData.file("models/demo"), "test card");
        int[] zyx = {ct.nz(), ct.ny(), ct.nx()};
        double[] sxyz = ct.spacing();
        double[] szyx = {sxyz[2], sxyz[1], sxyz[0]};
        identity = new PreprocessingProperties(PreprocessingProperties.SCHEMA_VERSION, null, sxyz, "RAS",
                new int[] {0, 1, 2}, zyx, new int[][] {{0, zyx[0]}, {0, zyx[1]}, {0, zyx[2]}}, zyx, szyx, szyx, zyx,
                false, -1, 1);
        labels = new SlabLabels(0, zyx[0], zyx[1], zyx[2], seg.clone(), null);
        inputSha = Digests.sha256Hex(Files.readAllBytes(ctFile));
    }

    static Provenance provenance() {
        return new Provenance("9.9.9-test", card.name(), card.modelSha256(), inputSha, true, 0.5, 2,
                List.of("cpu", "gpu0"), STARTED);
    }

    static FinishedCase finish(CaseFinisher.Options options) {
        List<String> phases = new ArrayList<>();
        FinishedCase done = new CaseFinisher(card, Clock.fixed(FINISHED, ZoneOffset.UTC))
                .finish(labels, identity, ct, options, phases::add);
        assertEquals("export", phases.get(0));
        return done;
    }

    static JsonNode json(FinishedCase done, CaseArtifact.Kind kind) throws Exception {
        return JSON.readTree(done.artifact(kind).orElseThrow().bytes());
    }

    static int count(byte[] voxels, int label) {
        int n = 0;
        for (byte b : voxels) {
            n += (b & 0xFF) == label ? 1 : 0;
        }
        return n;
    }

    @Test
    void allClassesGiveTheMaskTheLabelTableAndProvenanceInBothDocuments() throws Exception {
        FinishedCase done = finish(new CaseFinisher.Options(ExportMode.NEAREST, false, List.of(), false, provenance()));
        assertEquals(List.of(CaseArtifact.Kind.MASK, CaseArtifact.Kind.STATS, CaseArtifact.Kind.LABELS),
                done.artifacts().stream().map(CaseArtifact::kind).toList());
        Volume mask = NiftiReader.read(done.artifact(CaseArtifact.Kind.MASK).orElseThrow().bytes());
        assertArrayEquals(seg, mask.bytes(), "identity export must give the segmentation back");

        JsonNode table = json(done, CaseArtifact.Kind.LABELS);
        assertEquals(LabelTable.SCHEMA, table.get("schema").asText());
        JsonNode entries = table.get("labels");
        assertEquals(card.classes().size(), entries.size());
        assertEquals(0, entries.get(0).get("value").asInt());
        assertEquals("background", entries.get(0).get("name").asText());
        assertFalse(entries.get(0).has("color"));
        for (int k = 1; k < entries.size(); k++) {
            JsonNode e = entries.get(k);
            assertEquals(k, e.get("value").asInt());
            assertEquals(card.classes().get(k), e.get("name").asText());
            assertTrue(e.get("color").asText().matches("#[0-9a-f]{6}"), e.toString());
        }

        JsonNode stats = json(done, CaseArtifact.Kind.STATS);
        assertEquals(card.classes().size() - 1, stats.get("classes").size());
        for (JsonNode doc : List.of(stats, table)) {
            JsonNode p = doc.get("provenance");
            assertEquals("stunet", p.get("program").asText());
            assertEquals("9.9.9-test", p.get("version").asText());
            assertEquals("demo", p.at("/model/name").asText());
            assertEquals(card.modelSha256(), p.at("/model/sha256").asText());
            assertEquals(inputSha, p.at("/input/sha256").asText());
            assertTrue(p.at("/options/tta").asBoolean());
            assertEquals(0.5, p.at("/options/step").asDouble());
            assertEquals("nearest", p.at("/options/export").asText());
            assertFalse(p.at("/options/perClass").asBoolean());
            assertTrue(p.at("/options/classes").isNull(), "all classes");
            assertEquals(2, p.at("/execution/slabs").asInt());
            assertEquals("[\"cpu\",\"gpu0\"]", p.at("/execution/devices").toString());
            assertEquals("2024-05-01T12:00:00.250Z", p.at("/execution/startedAt").asText());
            assertEquals("2024-05-01T12:00:07.125Z", p.at("/execution/finishedAt").asText());
        }
        assertEquals(stats.get("provenance"), table.get("provenance"));
    }

    @Test
    void classSubsetZeroesTheOtherLabelsAndPerClassMasksMatchTheMask() throws Exception {
        List<Integer> kept = List.of(1, 8);
        assertTrue(count(seg, 1) > 0 && count(seg, 8) > 0, "the kept classes are present in the fixture");
        FinishedCase done = finish(new CaseFinisher.Options(ExportMode.NEAREST, true, List.of("class_8", "class_1"),
                true, provenance()));
        assertEquals(List.of(CaseArtifact.Kind.MASK, CaseArtifact.Kind.STATS, CaseArtifact.Kind.PREVIEW,
                        CaseArtifact.Kind.LABELS, CaseArtifact.Kind.CLASS_MASK, CaseArtifact.Kind.CLASS_MASK),
                done.artifacts().stream().map(CaseArtifact::kind).toList());

        byte[] mask = NiftiReader.read(done.artifact(CaseArtifact.Kind.MASK).orElseThrow().bytes()).bytes();
        for (int i = 0; i < seg.length; i++) {
            int expected = kept.contains(seg[i] & 0xFF) ? seg[i] : 0;
            assertEquals(expected, mask[i], "voxel " + i);
        }

        List<CaseArtifact> parts = done.artifacts().stream()
                .filter(a -> a.kind() == CaseArtifact.Kind.CLASS_MASK).toList();
        assertEquals(List.of("class_1.nii.gz", "class_8.nii.gz"), parts.stream().map(CaseArtifact::part).toList());
        assertEquals("case_seg/class_8.nii.gz", parts.get(1).fileName("case"));
        for (int j = 0; j < kept.size(); j++) {
            Volume binary = NiftiReader.read(parts.get(j).bytes());
            assertEquals(DataType.UINT8, binary.dataType());
            assertArrayEquals(ct.affine().toArray(), binary.affine().toArray(), 1e-6);
            byte[] b = binary.bytes();
            for (int i = 0; i < b.length; i++) {
                assertEquals((mask[i] & 0xFF) == kept.get(j) ? 1 : 0, b[i], "voxel " + i + " of " + parts.get(j).part());
            }
        }

        JsonNode stats = json(done, CaseArtifact.Kind.STATS);
        assertEquals(List.of("class_1", "class_8"), iterableNames(stats.get("classes")));
        assertEquals(count(seg, 8), stats.at("/classes/class_8/voxels").asInt());
        assertEquals(card.classes().size(), stats.get("classNames").size(), "classNames stays the model's full list");
        assertEquals("[\"class_1\",\"class_8\"]", stats.at("/provenance/options/classes").toString());
        assertTrue(stats.at("/provenance/options/perClass").asBoolean());

        // The label table's colours are the ones the preview draws: read them off its legend swatches.
        JsonNode entries = json(done, CaseArtifact.Kind.LABELS).get("labels");
        assertEquals(3, entries.size());
        Volume maskVolume = NiftiReader.read(done.artifact(CaseArtifact.Kind.MASK).orElseThrow().bytes());
        Preview layout = new PreviewRenderer().render(ct, maskVolume, card.classes(), Window.CT);
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(
                done.artifact(CaseArtifact.Kind.PREVIEW).orElseThrow().bytes()));
        assertEquals(kept, layout.legend().stream().map(LegendEntry::label).toList());
        for (LegendEntry e : layout.legend()) {
            JsonNode entry = entries.get(kept.indexOf(e.label()) + 1);
            assertEquals(e.label(), entry.get("value").asInt());
            Rectangle r = e.swatch();
            int rgb = png.getRGB(r.x + r.width / 2, r.y + r.height / 2) & 0xFFFFFF;
            assertEquals(String.format("#%06x", rgb), entry.get("color").asText(), e.name());
        }
    }

    static List<String> iterableNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void unknownClassNamesAreRefusedWithTheValidNames() {
        StunetException e = assertThrows(StunetException.class, () -> finish(new CaseFinisher.Options(
                ExportMode.NEAREST, false, List.of("class_1", "liverr"), false, provenance())));
        assertEquals(ErrorCode.INVALID_REQUEST, e.code());
        assertTrue(e.getMessage().contains("liverr"), e.getMessage());
        assertTrue(e.getMessage().contains("class_1, class_2"), e.getMessage());
        assertFalse(e.getMessage().contains("background"), e.getMessage());
        assertThrows(StunetException.class, () -> finish(new CaseFinisher.Options(
                ExportMode.NEAREST, false, List.of("background"), false, provenance())));
    }

    @Test
    void stablePartDropsOnlyTheExecution() throws Exception {
        FinishedCase a = finish(new CaseFinisher.Options(ExportMode.NEAREST, false, List.of("class_1"), false, provenance()));
        Provenance other = new Provenance("9.9.9-test", card.name(), card.modelSha256(), inputSha, true, 0.5, 5,
                null, STARTED.minusSeconds(60));
        FinishedCase b = finish(new CaseFinisher.Options(ExportMode.NEAREST, false, List.of("class_1"), false, other));
        for (CaseArtifact.Kind kind : List.of(CaseArtifact.Kind.STATS, CaseArtifact.Kind.LABELS)) {
            byte[] x = a.artifact(kind).orElseThrow().bytes();
            byte[] y = b.artifact(kind).orElseThrow().bytes();
            assertFalse(java.util.Arrays.equals(x, y));
            assertEquals(Provenance.stablePart(x), Provenance.stablePart(y), kind.name());
            assertFalse(Provenance.stablePart(x).get("provenance").has("execution"));
            assertTrue(Provenance.stablePart(x).get("provenance").has("input"));
        }
        Provenance otherInput = new Provenance("9.9.9-test", card.name(), card.modelSha256(), "0".repeat(64), true,
                0.5, 2, List.of("cpu", "gpu0"), STARTED);
        FinishedCase c = finish(new CaseFinisher.Options(ExportMode.NEAREST, false, List.of("class_1"), false, otherInput));
        assertFalse(Provenance.stablePart(a.artifact(CaseArtifact.Kind.STATS).orElseThrow().bytes())
                .equals(Provenance.stablePart(c.artifact(CaseArtifact.Kind.STATS).orElseThrow().bytes())));
    }
}
