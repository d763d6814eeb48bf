package io.stunet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidModelException;
import io.stunet.testing.Python;
import io.stunet.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ModelCardTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path exported;

    /** A model directory written by the real exporter from an nnU-Net v1 checkpoint built
     *  around the released STU-Net plans (small widths, random weights). */
    @BeforeAll
    static void exportTestModel() {
        Python.module("tools.stunet.testmodels", "--out", exported.toString(), "--dims", "4,8,8,16,16,16");
    }

    @Test
    void exportedCardMatchesThePlansTheExporterRead() throws IOException {
        ModelCard card = ModelCard.load(exported);
        // Reference values straight from the released .model.pkl, read by Python's pickle.
        JsonNode plans = JSON.readTree(Python.run(Path.of("tools/stunet/tests/plans_facts.py"),
                TestData.stunet("small_ep4k.model.pkl").toString()));
        assertEquals(ints(plans.get("patch_size")), card.patchSize());
        assertEquals(doubles(plans.get("current_spacing")), card.targetSpacing());
        assertEquals(ints(plans.get("transpose_forward")), card.transposeForward());
        assertEquals(ints(plans.get("transpose_backward")), card.transposeBackward());
        assertEquals(plans.get("num_classes").intValue() + 1, card.numClasses());
        assertEquals(ModelCard.Scheme.parse(plans.get("normalization").textValue()), card.normalization().get(0).scheme());
        assertFalse(card.normalization().get(0).useMaskForNorm());
        assertEquals(plans.get("num_modalities").intValue(), card.inputChannels());

        Map<Integer, String> labels = new TreeMap<>();
        JSON.readTree(TestData.stunet("label_orders.json").toFile()).fields()
                .forEachRemaining(e -> labels.put(Integer.parseInt(e.getKey()), e.getValue().textValue()));
        assertEquals(List.copyOf(labels.values()), card.classes());

        assertEquals("custom", card.variant());
        assertEquals(List.of(4, 8, 8, 16, 16, 16), card.architecture().dims());
        assertEquals(ModelCard.Orientation.RAS, card.orientation());
        assertTrue(card.cropToNonzero());
        assertEquals(List.of(0, 1, 2), card.mirrorAxes());
        assertEquals(exported.resolve("model.pt"), card.modelFile());
        assertEquals("nnunet-v1", card.source().format());
        String pythonSha = Python.run(Path.of("tools/stunet/tests/sha256.py"), card.modelFile().toString()).trim();
        assertEquals(pythonSha, card.modelSha256());
        assertEquals(pythonSha, ModelCard.sha256(card.modelFile()));
        int[] divisor = card.architecture().divisor();
        for (int a = 0; a < 3; a++) {
            assertEquals(0, card.patchSizeArray()[a] % divisor[a]);
        }
    }

    @Test
    void committedDemoModelLoadsWithTheTrainerSettings() throws IOException {
        ModelCard card = ModelCard.load(TestData.file("models/demo"));
        JsonNode facts = JSON.readTree(Python.run(Path.of("tools/stunet/tests/demo_facts.py")));
        List<String> classes = new ArrayList<>();
        facts.get("classes").forEach(c -> classes.add(c.textValue()));
        assertEquals(classes, card.classes());
        assertEquals(ints(facts.get("patchSize")), card.patchSize());
        assertEquals(doubles(facts.get("targetSpacing")), card.targetSpacing());
        assertEquals(ints(facts.get("dims")), card.architecture().dims());
        assertEquals("demo", card.source().format());
        assertEquals(ModelCard.sha256(card.modelFile()), card.modelSha256());
    }

    @Test
    void uniformDepthWrittenAsOneIntegerReadsAsOneCountPerStage() throws IOException {
        JsonNode written = JSON.readTree(exported.resolve("model.json").toFile()).get("architecture").get("depth");
        assertTrue(written.isInt(), written::toString);
        ModelCard card = ModelCard.load(exported);
        assertEquals(Collections.nCopies(card.architecture().dims().size(), written.intValue()),
                card.architecture().depths());
    }

    @Test
    void exportedCardWithPerStageDepthsLoadsTheList(@TempDir Path dir) throws IOException {
        Python.module("tools.stunet.testmodels", "--out", dir.toString(), "--dims", "4,8,8,16,16,16",
                "--depth", "1,2,1,1,3,1");
        JsonNode written = JSON.readTree(dir.resolve("model.json").toFile()).get("architecture").get("depth");
        assertTrue(written.isArray(), written::toString);
        ModelCard card = ModelCard.load(dir);
        assertEquals(ints(written), card.architecture().depths());
        assertEquals(List.of(1, 2, 1, 1, 3, 1), card.architecture().depths());
        assertEquals("custom", card.variant());
    }

    @Test
    void cardWithoutChecksumOrSourceStillLoads(@TempDir Path dir) throws IOException {
        ModelCard card = ModelCard.load(variant(dir, root -> {
            root.remove("modelSha256");
            root.remove("source");
        }));
        assertNull(card.modelSha256());
        assertNull(card.source());
    }

    @Test
    void ctNormalizationCarriesItsStatistics(@TempDir Path dir) throws IOException {
        ModelCard card = ModelCard.load(variant(dir, root -> {
            ObjectNode ct = JSON.createObjectNode().put("scheme", "CT").put("useMaskForNorm", false)
                    .put("mean", 37.5).put("sd", 45.25).put("lowerBound", -135.5).put("upperBound", 161.0);
            ((ArrayNode) root.get("normalization")).set(0, ct);
        }));
        ModelCard.Normalization n = card.normalization().get(0);
        assertEquals(ModelCard.Scheme.CT, n.scheme());
        assertEquals(List.of(37.5, 45.25, -135.5, 161.0), List.of(n.mean(), n.sd(), n.lowerBound(), n.upperBound()));
    }

    @Test
    void classCodesGiveTheSegmentCodesOfNamedClasses(@TempDir Path dir) throws IOException {
        ModelCard card = ModelCard.load(variant(dir, root -> {
            String first = root.get("classes").get(1).asText();
            ObjectNode codes = root.putObject("classCodes").putObject(first);
            codes.putObject("category").put("value", "123037004").put("scheme", "SCT").put("meaning", "Anatomical Structure");
            codes.putObject("type").put("value", "38266002").put("scheme", "SCT").put("meaning", "Entire body as a whole");
        }));
        ModelCard.ClassCode code = card.classCodes().get(card.classes().get(1));
        assertEquals(new ModelCard.Code("123037004", "SCT", "Anatomical Structure"), code.category());
        assertEquals(new ModelCard.Code("38266002", "SCT", "Entire body as a whole"), code.type());
        assertNull(card.classCodes().get(card.classes().get(0)), "classes without an entry have no code");
    }

    static Stream<Arguments> brokenCards() {
        return Stream.of(
                broken("code for an unknown class", r -> r.putObject("classCodes").putObject("nonesuch"),
                        "classCodes names 'nonesuch'"),
                broken("code without meaning", r -> {
                    ObjectNode c = r.putObject("classCodes").putObject(r.get("classes").get(1).asText());
                    c.putObject("category").put("value", "1").put("scheme", "SCT").put("meaning", "x");
                    c.putObject("type").put("value", "2").put("scheme", "SCT").put("meaning", " ");
                }, "needs a value, scheme and meaning"),
                broken("wrong schema", r -> r.put("schema", "nnunet.plans"), "schema is 'nnunet.plans'"),
                broken("future version", r -> r.put("schemaVersion", 2), "schemaVersion 2 is not supported"),
                broken("missing field", r -> r.remove("patchSize"), "required field 'patchSize' is missing"),
                broken("patch not divisible", r -> r.set("patchSize", ints(100, 128, 128)),
                        "not a positive multiple of the pooling divisor [16, 16, 32]"),
                broken("2-D patch", r -> r.set("patchSize", ints(128, 128)), "'patchSize' must have 3 entries"),
                broken("no classes", r -> r.set("classes", JSON.createArrayNode()), "classes is empty"),
                broken("duplicate class", r -> ((ArrayNode) r.get("classes")).set(2, r.get("classes").get(1)),
                        "must be non-empty and unique"),
                broken("two channels, one normalization", r -> r.put("inputChannels", 2),
                        "normalization has 1 entries for 2 input channels"),
                broken("unknown scheme", r -> ((ObjectNode) r.get("normalization").get(0)).put("scheme", "zscore"),
                        "unknown normalization scheme 'zscore'"),
                broken("CT without statistics", r -> ((ObjectNode) r.get("normalization").get(0)).put("scheme", "CT"),
                        "required field 'mean' is missing"),
                broken("unknown orientation", r -> r.put("orientation", "LPS"), "orientation 'LPS' is not"),
                broken("mirror axis out of range", r -> r.set("mirrorAxes", ints(0, 3)), "mirrorAxes [0, 3]"),
                broken("mirror axis twice", r -> r.set("mirrorAxes", ints(1, 1)), "mirrorAxes [1, 1]"),
                broken("transposes not inverse", r -> {
                    r.set("transposeForward", ints(1, 2, 0));
                    r.set("transposeBackward", ints(1, 2, 0));
                }, "is not the inverse of transposeForward"),
                broken("pool kernels vs stages", r -> ((ArrayNode) r.get("architecture").get("poolKernels")).remove(0),
                        "poolKernels has 4 entries for 6 stages"),
                broken("depth list shorter than the stages",
                        r -> ((ObjectNode) r.get("architecture")).set("depth", ints(1, 2, 1, 1, 1)),
                        "'depth' must have 6 entries, has 5"),
                broken("stage without blocks",
                        r -> ((ObjectNode) r.get("architecture")).set("depth", ints(1, 2, 0, 1, 1, 1)),
                        "architecture.depth [1,2,0,1,1,1] must give every stage at least 1 block"),
                broken("zero depth", r -> ((ObjectNode) r.get("architecture")).put("depth", 0),
                        "architecture.depth 0 must give every stage at least 1 block"),
                broken("depth as text", r -> ((ObjectNode) r.get("architecture")).put("depth", "2"),
                        "field 'depth' must be an integer"),
                broken("negative spacing", r -> r.set("targetSpacing", JSON.createArrayNode().add(1.5).add(-1.5).add(1.5)),
                        "must be positive and finite"),
                broken("unknown variant", r -> r.put("variant", "XL"), "variant 'XL'"),
                broken("path as model file", r -> r.put("modelFile", "../model.pt"), "must be a plain file name"),
                broken("bad checksum text", r -> r.put("modelSha256", "ABC"), "64 lower-case hex digits"));
    }

    private static Arguments broken(String what, Consumer<ObjectNode> edit, String message) {
        return Arguments.of(what, edit, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenCards")
    void inconsistentCardsAreRefusedWithAClearMessage(String what, Consumer<ObjectNode> edit, String message,
                                                      @TempDir Path dir) throws IOException {
        Path modelDir = variant(dir, edit);
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelCard.load(modelDir));
        assertEquals(ErrorCode.INVALID_MODEL, e.code());
        assertTrue(e.getMessage().contains(message), () -> what + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("model.json"), e::getMessage);
    }

    @Test
    void missingDirectoryContentIsReported(@TempDir Path dir) throws IOException {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelCard.load(dir));
        assertTrue(e.getMessage().contains("has no model.json"), e::getMessage);

        Files.writeString(dir.resolve("model.json"), "{\"schema\": \"stunet.model\",");
        e = assertThrows(InvalidModelException.class, () -> ModelCard.load(dir));
        assertTrue(e.getMessage().contains("is not valid JSON"), e::getMessage);

        Files.writeString(dir.resolve("model.json"), "[1, 2]");
        e = assertThrows(InvalidModelException.class, () -> ModelCard.load(dir));
        assertTrue(e.getMessage().contains("must be a JSON object"), e::getMessage);
    }

    @Test
    void missingOrAlteredModelFileIsRefused(@TempDir Path dir) throws IOException {
        Path modelDir = variant(dir, r -> { });
        byte[] bytes = Files.readAllBytes(modelDir.resolve("model.pt"));
        bytes[bytes.length / 2] ^= 1;
        Files.write(modelDir.resolve("model.pt"), bytes);
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelCard.load(modelDir));
        assertTrue(e.getMessage().contains("sha256 of"), e::getMessage);
        assertEquals(modelDir.resolve("model.pt"), ModelCard.load(modelDir, false).modelFile());

        Files.delete(modelDir.resolve("model.pt"));
        e = assertThrows(InvalidModelException.class, () -> ModelCard.load(modelDir, false));
        assertTrue(e.getMessage().contains("is missing"), e::getMessage);
    }

    @Test
    void duplicateJsonKeysAreRefused(@TempDir Path dir) throws IOException {
        Path modelDir = variant(dir, r -> { });
        String text = Files.readString(modelDir.resolve("model.json"));
        Files.writeString(modelDir.resolve("model.json"), text.replaceFirst("\\{", "{\"name\": \"a\", "));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelCard.load(modelDir));
        assertTrue(e.getMessage().contains("Duplicate field 'name'"), e::getMessage);
    }

    /** A copy of the exported model directory with the card edited. */
    private static Path variant(Path dir, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(exported.resolve("model.json").toFile());
        edit.accept(root);
        Files.copy(exported.resolve("model.pt"), dir.resolve("model.pt"));
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.json").toFile(), root);
        return dir;
    }

    private static ArrayNode ints(int... values) {
        ArrayNode a = JSON.createArrayNode();
        for (int v : values) {
            a.add(v);
        }
        return a;
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(v -> out.add(v.intValue()));
        return out;
    }

    private static List<Double> doubles(JsonNode array) {
        List<Double> out = new ArrayList<>();
        array.forEach(v -> out.add(v.doubleValue()));
        return out;
    }
}
