package io.stunet.cases;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The per-case processing options carried by {@code CaseSubmitted.options} and therefore part
 * of the case id, in the canonical text form ingest writes ({@code SubmitOptions}):
 * {@code export}, {@code preview}, {@code step} ({@link Double#toString}) and {@code tta}, and,
 * only when they differ from their defaults, {@code classes} (a canonical
 * {@link ClassSelection#canonical class list}) and {@code perClass} ({@code true}), so that
 * cases submitted without them keep the ids they always had. Only options that change the
 * outputs belong here; slab count and devices are deployment configuration (tiling is exact).
 * A missing option takes {@code predict}'s default.
 */
public final class CaseOptions {
    /** {@code true}/{@code false}: test-time mirroring. */
    public static final String TTA = "tta";
    /** Sliding-window step as a fraction of the patch, e.g. {@code 0.5}. */
    public static final String STEP = "step";
    /** {@code nearest} or {@code linear} export to the input grid. */
    public static final String EXPORT = "export";
    /** {@code true}: postprocess also renders a preview PNG (not part of the mask). */
    public static final String PREVIEW = "preview";
    /** Comma-separated class names to keep (absent: all); the other labels are zeroed. */
    public static final String CLASSES = "classes";
    /** {@code true}: postprocess also writes one binary mask per kept class. */
    public static final String PER_CLASS = "perClass";

    private CaseOptions() {
    }

    /** The canonical option map (sorted keys, normalised values). */
    public static Map<String, String> of(boolean tta, double step, String export, boolean preview) {
        Map<String, String> m = new TreeMap<>();
        m.put(TTA, Boolean.toString(tta));
        m.put(STEP, Double.toString(step));
        m.put(EXPORT, export.toLowerCase(Locale.ROOT));
        m.put(PREVIEW, Boolean.toString(preview));
        return m;
    }

    /**
     * {@code base} with the output options added in canonical form: {@code classes} only when
     * some are named, {@code perClass} only when on (absent means the default).
     */
    public static Map<String, String> withOutputs(Map<String, String> base, java.util.Collection<String> classes,
                                                  boolean perClass) {
        Map<String, String> m = new TreeMap<>(base);
        m.remove(CLASSES);
        m.remove(PER_CLASS);
        String canonical = ClassSelection.canonical(classes);
        if (!canonical.isEmpty()) {
            m.put(CLASSES, canonical);
        }
        if (perClass) {
            m.put(PER_CLASS, "true");
        }
        return m;
    }

    /** The class names a case keeps; empty: all. */
    public static java.util.List<String> classes(Map<String, String> options) {
        return ClassSelection.parse(options.getOrDefault(CLASSES, ""));
    }

    public static boolean perClass(Map<String, String> options) {
        return Boolean.parseBoolean(options.getOrDefault(PER_CLASS, "false"));
    }

    public static boolean tta(Map<String, String> options) {
        return Boolean.parseBoolean(options.getOrDefault(TTA, "true"));
    }

    public static boolean preview(Map<String, String> options) {
        return Boolean.parseBoolean(options.getOrDefault(PREVIEW, "false"));
    }

    public static String export(Map<String, String> options) {
        return options.getOrDefault(EXPORT, "nearest");
    }

    /** The sliding-window step; {@code INVALID_REQUEST} when it is not a number in (0, 1]. */
    public static double step(Map<String, String> options) {
        String s = options.getOrDefault(STEP, "0.5");
        try {
            double v = Double.parseDouble(s);
            if (v > 0 && v <= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below with the option's name
        }
        throw new StunetException(ErrorCode.INVALID_REQUEST, "case option step must be a number in (0, 1]");
    }
}
