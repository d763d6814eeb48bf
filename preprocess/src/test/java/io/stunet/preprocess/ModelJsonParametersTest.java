package io.stunet.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The preprocessing fields of model.json (schema of docs/architecture.md) become parameters. */
class ModelJsonParametersTest {
    @TempDir
    Path dir;

    @Test
    void readsSpacingNormalizationCropOrientationTransposeAndThreshold() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode card = json.createObjectNode();
        card.put("schema", "stunet.model").put("schemaVersion", 1).put("name", "demo");
        card.putArray("targetSpacing").add(2.5).add(1.25).add(0.75);
        ArrayNode norm = card.putArray("normalization");
        norm.addObject().put("scheme", "CT").put("useMaskForNorm", true).put("mean", 99.5).put("sd", 136.25)
                .put("lowerBound", -958.0).put("upperBound", 327.0);
        norm.addObject().put("scheme", "nonCT").put("useMaskForNorm", false);
        card.put("cropToNonzero", false).put("orientation", "none").put("anisotropyThreshold", 2.5);
        card.putArray("transposeForward").add(2).add(0).add(1);
        Files.writeString(dir.resolve("model.json"), json.writeValueAsString(card));

        PreprocessingParameters p = ModelJsonParameters.read(dir);
        assertArrayEquals(new double[] {2.5, 1.25, 0.75}, p.targetSpacing());
        assertEquals(2, p.channels());
        NormalizationSpec ct = p.normalization().get(0);
        assertEquals("CT", ct.scheme());
        assertEquals(true, ct.useMaskForNorm());
        assertEquals(99.5, ct.mean());
        assertEquals(136.25, ct.sd());
        assertEquals(-958.0, ct.lowerBound());
        assertEquals(327.0, ct.upperBound());
        assertEquals("nonCT", p.normalization().get(1).scheme());
        assertEquals(false, p.cropToNonzero());
        assertEquals("none", p.orientation());
        assertArrayEquals(new int[] {2, 0, 1}, p.transposeForward());
        assertEquals(2.5, p.anisotropyThreshold());
    }

    @Test
    void missingFieldsAreAnInvalidModel() throws Exception {
        Files.writeString(dir.resolve("model.json"), "{\"schema\": \"stunet.model\", \"normalization\": []}");
        StunetException e = assertThrows(StunetException.class, () -> ModelJsonParameters.read(dir));
        assertEquals(ErrorCode.INVALID_MODEL, e.code());
    }
}
