package io.stunet.ingest;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import io.stunet.cases.CaseOptions;
import io.stunet.cases.ClassSelection;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Parses and validates the per-case options of a submission (query parameters of an upload,
 * fields of a JSON submission) into the canonical map that goes into
 * {@code CaseSubmitted.options} and the case id: {@code tta} and {@code preview}
 * ({@code true|false}), {@code step} (a number in (0, 1], written as {@link Double#toString})
 * and {@code export} ({@code nearest|linear}), and the output options {@code classes}
 * (comma-separated class names to keep) and {@code perClass} ({@code true|false}). The map
 * is the one the stages' {@code CaseOptions.of(tta, step, export, preview)} and
 * {@code CaseOptions.withOutputs} build, so a file submitted by {@code run} and the same file
 * uploaded over HTTP with the same options get the same case id. The first four options are
 * always present (defaults filled in); {@code classes} and {@code perClass} only when they
 * differ from their defaults (all classes, off), so leaving an option out and giving its
 * default derive the same id. Class names are checked against the model by preprocess.
 * Slab count and devices are deployment settings, not case options.
 */
public final class SubmitOptions {
    /** Option names accepted as query parameters and JSON fields. */
    public static final Set<String> NAMES = Set.of("tta", "step", "export", "preview", CaseOptions.CLASSES,
            CaseOptions.PER_CLASS);

    private SubmitOptions() {
    }

    /** {@code predict}'s defaults: mirroring on, step 0.5, nearest export, no preview. */
    public static Map<String, String> defaults() {
        return canonical(true, 0.5, "nearest", false);
    }

    /** The canonical map of the given values (validated), all classes, no per-class files. */
    public static Map<String, String> canonical(boolean tta, double step, String export, boolean preview) {
        return canonical(tta, step, export, preview, List.of(), false);
    }

    /** The canonical map of the given values (validated); {@code classes} empty: all. */
    public static Map<String, String> canonical(boolean tta, double step, String export, boolean preview,
                                                Collection<String> classes, boolean perClass) {
        return CaseOptions.withOutputs(base(tta, step, export, preview), classes, perClass);
    }

    private static Map<String, String> base(boolean tta, double step, String export, boolean preview) {
        if (!(step > 0 && step <= 1)) {
            throw invalid("step must be a number in (0, 1]");
        }
        String e = export.toLowerCase(Locale.ROOT);
        if (!e.equals("nearest") && !e.equals("linear")) {
            throw invalid("export must be nearest or linear");
        }
        Map<String, String> m = new TreeMap<>();
        m.put("tta", Boolean.toString(tta));
        m.put("step", Double.toString(step));
        m.put("export", e);
        m.put("preview", Boolean.toString(preview));
        return m;
    }

    /**
     * {@code base} (a canonical map) with the options {@code lookup} gives for option names
     * replaced ({@code null}: keep); INVALID_REQUEST for a value that does not parse.
     */
    public static Map<String, String> override(Map<String, String> base, Function<String, String> lookup) {
        String t = lookup.apply("tta");
        String s = lookup.apply("step");
        String e = lookup.apply("export");
        String p = lookup.apply("preview");
        String c = lookup.apply(CaseOptions.CLASSES);
        String k = lookup.apply(CaseOptions.PER_CLASS);
        return canonical(t == null ? bool("tta", base.get("tta")) : bool("tta", t),
                number("step", s == null ? base.get("step") : s),
                e == null ? base.get("export") : e,
                p == null ? bool("preview", base.get("preview")) : bool("preview", p),
                ClassSelection.parse(c == null ? base.getOrDefault(CaseOptions.CLASSES, "") : c),
                k == null ? bool(CaseOptions.PER_CLASS, base.getOrDefault(CaseOptions.PER_CLASS, "false"))
                        : bool(CaseOptions.PER_CLASS, k));
    }

    private static boolean bool(String name, String raw) {
        return switch (raw == null ? "" : raw.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw invalid(name + " must be true or false");
        };
    }

    private static double number(String name, String raw) {
        try {
            return Double.parseDouble(raw == null ? "" : raw.trim());
        } catch (NumberFormatException e) {
            throw invalid(name + " must be a number");
        }
    }

    private static StunetException invalid(String why) {
        return new StunetException(ErrorCode.INVALID_REQUEST, "option " + why);
    }
}
