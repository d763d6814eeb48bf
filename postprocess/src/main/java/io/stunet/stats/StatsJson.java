package io.stunet.stats;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.error.ErrorCode;
import io.stunet.files.AtomicFiles;
import io.stunet.error.StunetException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The {@code NAME_stats.json} document ({@value #SCHEMA} version {@value #SCHEMA_VERSION}):
 * the one place where a {@link StatsReport} is mapped to JSON. Per class it keeps
 * TotalSegmentator's field names ({@code volume} in mm³, {@code intensity} rounded to 5
 * decimals) so existing scripts read it unchanged under {@code classes}, and adds the exact
 * voxel count, the label value and the border flag. Grid fields are in nibabel's
 * {@code (x, y, z)} order like every user-facing view. Layout in docs/outputs.md.
 */
public final class StatsJson {
    public static final String SCHEMA = "stunet.stats";
    public static final int SCHEMA_VERSION = 1;
    /** Decimals kept for {@code intensity}, as TotalSegmentator's {@code round(5)}. */
    public static final int INTENSITY_DECIMALS = 5;

    private static final ObjectMapper MAPPER = new ObjectMapper();
    // Indented, with "key": value as Python's json.dump writes it.
    private static final ObjectWriter WRITER = MAPPER.writer(new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

    private StatsJson() {
    }

    /** The JSON tree of a report. */
    public static ObjectNode toTree(StatsReport report) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("schema", SCHEMA);
        root.put("schemaVersion", SCHEMA_VERSION);
        int[] shape = report.shape();
        double[] spacing = report.spacing();
        ArrayNode shapeXyz = root.putArray("shape");
        ArrayNode spacingXyz = root.putArray("spacing");
        for (int axis = 2; axis >= 0; axis--) {
            shapeXyz.add(shape[axis]);
            spacingXyz.add(spacing[axis]);
        }
        root.put("voxelVolume", report.voxelVolume());
        ArrayNode names = root.putArray("classNames");
        report.classNames().forEach(names::add);
        ObjectNode classes = root.putObject("classes");
        for (ClassStat c : report.classes()) {
            ObjectNode entry = classes.putObject(c.name());
            entry.put("label", c.label());
            entry.put("voxels", c.voxels());
            entry.put("volume", c.volumeMm3());
            entry.put("intensity", roundIntensity(c.meanIntensity()));
            entry.put("touchesBorder", c.touchesBorder());
        }
        return root;
    }

    /** The document as indented UTF-8 text. */
    public static String toJson(StatsReport report) {
        return toJson(toTree(report));
    }

    /**
     * Any JSON tree as the outputs write it: indented, {@code "key": value} like Python's
     * {@code json.dump}, one final newline (shared by the case's JSON documents).
     */
    public static String toJson(JsonNode tree) {
        try {
            return WRITER.writeValueAsString(tree) + "\n";
        } catch (JsonProcessingException e) {
            throw new StunetException(ErrorCode.INTERNAL, "cannot serialize a JSON document", e);
        }
    }

    /** {@link #toJson(JsonNode)} as UTF-8 bytes. */
    public static byte[] encode(JsonNode tree) {
        return toJson(tree).getBytes(StandardCharsets.UTF_8);
    }

    /** The document as the UTF-8 bytes of {@link #toJson}, what {@link #write} puts in the file. */
    public static byte[] encode(StatsReport report) {
        return toJson(report).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Writes the document to {@code file} atomically: a temporary file in the same directory is
     * renamed over the target, so readers never see a partial document.
     */
    public static void write(StatsReport report, Path file) {
        try {
            AtomicFiles.write(file, encode(report));
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot write statistics file", e);
        }
    }

    /**
     * {@code numpy.round(x, 5)}: scale, round half to even, unscale, in double, which gives the
     * same bits as numpy for the same input.
     */
    static double roundIntensity(double mean) {
        double scale = Math.pow(10, INTENSITY_DECIMALS);
        return Math.rint(mean * scale) / scale;
    }
}
