package io.stunet.postprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.cases.ClassSelection;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * Where a case's outputs come from, as the caller knows it before the case is finished: the
 * program version (from the build, passed in by the application), the model, the SHA-256 of
 * the input file's bytes as received, the case options that shaped the result (mirroring,
 * step) and how the case was run (slabs, devices, start time). {@link CaseFinisher} completes
 * it with the output options and the end time and writes it into {@code NAME_stats.json} and
 * {@code NAME_seg.json} as the {@code provenance} object (layout in docs/outputs.md). The
 * {@code execution} part (slabs, devices, times) is what may differ between two runs that
 * produce the same mask; everything else is the same for the same input, model and options.
 *
 * @param version     program version, e.g. {@code 0.1.0}
 * @param modelName   the model card's name
 * @param modelSha256 SHA-256 of the model's TorchScript file, lower-case hex
 * @param inputSha256 SHA-256 of the input file's bytes, lower-case hex
 * @param tta         whether test-time mirroring was used
 * @param step        sliding-window step as a fraction of the patch
 * @param slabs       number of z-slabs the case was split into
 * @param devices     inference devices, or {@code null} when the finishing process does not know
 *                    them (the services: infer may run elsewhere)
 * @param startedAt   when the case started: {@code predict} began reading the input, or the
 *                    services received it
 */
public record Provenance(String version, String modelName, String modelSha256, String inputSha256, boolean tta,
                         double step, int slabs, List<String> devices, Instant startedAt) {
    /** Name of the program in the document. */
    public static final String PROGRAM = "stunet";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public Provenance {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(modelSha256, "modelSha256");
        Objects.requireNonNull(inputSha256, "inputSha256");
        Objects.requireNonNull(startedAt, "startedAt");
        devices = devices == null ? null : List.copyOf(devices);
    }

    /**
     * The {@code provenance} object of a finished case.
     *
     * @param selection  the classes the outputs keep
     * @param finishedAt when the outputs were made
     */
    public ObjectNode toTree(CaseFinisher.Options options, ClassSelection selection, Instant finishedAt) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("program", PROGRAM);
        root.put("version", version);
        ObjectNode model = root.putObject("model");
        model.put("name", modelName);
        model.put("sha256", modelSha256);
        root.putObject("input").put("sha256", inputSha256);
        ObjectNode o = root.putObject("options");
        o.put("tta", tta);
        o.put("step", step);
        o.put("export", options.export().name().toLowerCase(java.util.Locale.ROOT));
        o.put("preview", options.preview());
        o.put("perClass", options.perClass());
        if (selection.all()) {
            o.putNull("classes");
        } else {
            ArrayNode kept = o.putArray("classes");
            selection.labels().forEach(k -> kept.add(selection.classNames().get(k)));
        }
        ObjectNode e = root.putObject("execution");
        e.put("slabs", slabs);
        if (devices != null) {
            ArrayNode d = e.putArray("devices");
            devices.forEach(d::add);
        }
        e.put("startedAt", iso(startedAt));
        e.put("finishedAt", iso(finishedAt));
        return root;
    }

    /**
     * A {@code NAME_stats.json} or {@code NAME_seg.json} document without
     * {@code provenance.execution}: the part two runs of the same input, model and options
     * ({@code predict} and {@code run}, different slab counts or devices) must agree on.
     * {@code INVALID_REQUEST} when the bytes are not JSON.
     */
    public static com.fasterxml.jackson.databind.JsonNode stablePart(byte[] document) {
        try {
            com.fasterxml.jackson.databind.JsonNode tree = MAPPER.readTree(document);
            if (tree.get("provenance") instanceof ObjectNode p) {
                p.remove("execution");
            }
            return tree;
        } catch (java.io.IOException e) {
            throw new io.stunet.error.StunetException(io.stunet.error.ErrorCode.INVALID_REQUEST, "not a JSON document", e);
        }
    }

    /** UTC ISO-8601 with millisecond precision, e.g. {@code 2024-05-01T12:00:00.123Z}. */
    static String iso(Instant t) {
        return t.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
