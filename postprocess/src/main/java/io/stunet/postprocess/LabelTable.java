package io.stunet.postprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.cases.ClassSelection;
import io.stunet.preview.LabelColors;

import java.util.Locale;

/**
 * The {@code NAME_seg.json} sidecar of a mask ({@value #SCHEMA} version {@value #SCHEMA_VERSION}):
 * what each label value of {@code NAME_seg.nii.gz} means (class name) and how the preview
 * draws it ({@link LabelColors}, {@code #rrggbb}), for the background and every class the
 * case keeps, in label order; plus the case's provenance. The one place this document is
 * built; layout in docs/outputs.md.
 */
public final class LabelTable {
    public static final String SCHEMA = "stunet.seg";
    public static final int SCHEMA_VERSION = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private LabelTable() {
    }

    /**
     * The document of a case.
     *
     * @param selection  the model's classes and which of them the mask keeps
     * @param provenance the case's {@code provenance} object, or {@code null} for none
     */
    public static ObjectNode toTree(ClassSelection selection, ObjectNode provenance) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("schema", SCHEMA);
        root.put("schemaVersion", SCHEMA_VERSION);
        ArrayNode labels = root.putArray("labels");
        labels.addObject().put("value", 0).put("name", selection.classNames().get(0));
        for (int k : selection.labels()) {
            labels.addObject().put("value", k).put("name", selection.classNames().get(k)).put("color", color(k));
        }
        if (provenance != null) {
            root.set("provenance", provenance);
        }
        return root;
    }

    /** The colour of a label as {@code #rrggbb}, the preview's overlay colour. */
    public static String color(int label) {
        return String.format(Locale.ROOT, "#%06x", LabelColors.rgb(label));
    }
}
