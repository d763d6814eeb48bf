package io.stunet.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.error.InvalidModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the preprocessing fields of a model directory's {@code model.json} (schema in
 * docs/architecture.md: targetSpacing, normalization, cropToNonzero, orientation,
 * transposeForward, anisotropyThreshold) into {@link PreprocessingParameters}. Only these
 * fields are read, so the rest of the model card may evolve without touching preprocessing.
 */
public final class ModelJsonParameters {
    private ModelJsonParameters() {
    }

    /** Parameters from {@code dir/model.json} (or {@code dir} itself when it is the JSON file). */
    public static PreprocessingParameters read(Path dir) {
        Path json = Files.isDirectory(dir) ? dir.resolve("model.json") : dir;
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json.toFile());
        } catch (IOException e) {
            throw new InvalidModelException("cannot read model.json: " + e.getMessage(), e);
        }
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new InvalidModelException("model.json: " + e.getMessage(), e);
        }
    }

    /** Parameters from a parsed model.json tree. */
    public static PreprocessingParameters parse(JsonNode root) {
        double[] spacing = doubles(required(root, "targetSpacing"));
        List<NormalizationSpec> norms = new ArrayList<>();
        for (JsonNode n : required(root, "normalization")) {
            String scheme = required(n, "scheme").asText();
            boolean mask = n.path("useMaskForNorm").asBoolean(false);
            if (NormalizationSpec.CT.equals(scheme)) {
                norms.add(NormalizationSpec.ct(required(n, "mean").asDouble(), required(n, "sd").asDouble(),
                        required(n, "lowerBound").asDouble(), required(n, "upperBound").asDouble(), mask));
            } else {
                norms.add(new NormalizationSpec(scheme, mask, 0, 1, 0, 0));
            }
        }
        int[] tf = root.has("transposeForward") ? ints(root.get("transposeForward")) : new int[] {0, 1, 2};
        return new PreprocessingParameters(spacing, norms, root.path("cropToNonzero").asBoolean(true),
                root.path("orientation").asText("RAS"), tf,
                root.path("anisotropyThreshold").asDouble(ResamplingRules.DEFAULT_ANISOTROPY_THRESHOLD));
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing field " + field);
        }
        return v;
    }

    private static double[] doubles(JsonNode n) {
        double[] v = new double[n.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = n.get(i).asDouble();
        }
        return v;
    }

    private static int[] ints(JsonNode n) {
        int[] v = new int[n.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = n.get(i).asInt();
        }
        return v;
    }
}
