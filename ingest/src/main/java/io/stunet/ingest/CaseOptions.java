package io.stunet.ingest;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The processing options of a case, in the canonical text form that goes into
 * {@code CaseSubmitted.options} and into the case id: {@code tta} ({@code true|false}),
 * {@code step} (sliding-window step as a fraction of the patch, in (0, 1], plain decimal
 * without trailing zeros), {@code export} ({@code nearest|linear}), {@code slabs} (z-slabs
 * per case, 1..{@value #MAX_SLABS}) and {@code preview} ({@code true|false}). Every option is
 * always present (defaults filled in, the same as {@code predict}'s), so leaving an option
 * out and giving its default value derive the same case id.
 */
public record CaseOptions(boolean tta, String step, String export, int slabs, boolean preview) {
    /** Option names, as query parameters, JSON fields and record map keys. */
    public static final Set<String> NAMES = Set.of("tta", "step", "export", "slabs", "preview");
    /** Upper bound on slabs per case; more would only multiply records. */
    public static final int MAX_SLABS = 256;

    public CaseOptions {
        step = canonicalStep(step);
        if (!export.equals("nearest") && !export.equals("linear")) {
            throw invalid("export must be nearest or linear");
        }
        if (slabs < 1 || slabs > MAX_SLABS) {
            throw invalid("slabs must be in 1.." + MAX_SLABS);
        }
    }

    /** {@code predict}'s defaults: mirroring on, step 0.5, nearest export, one slab, no preview. */
    public static CaseOptions defaults() {
        return new CaseOptions(true, "0.5", "nearest", 1, false);
    }

    /**
     * These options with the values {@code lookup} returns for option names replaced
     * ({@code null}: keep). Used for query parameters and JSON fields alike.
     */
    public CaseOptions with(Function<String, String> lookup) {
        String t = lookup.apply("tta");
        String s = lookup.apply("step");
        String e = lookup.apply("export");
        String n = lookup.apply("slabs");
        String p = lookup.apply("preview");
        return new CaseOptions(t == null ? tta : bool("tta", t), s == null ? step : s,
                e == null ? export : e.toLowerCase(Locale.ROOT), n == null ? slabs : integer("slabs", n),
                p == null ? preview : bool("preview", p));
    }

    /** The canonical map for the record and the case id. */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("export", export);
        m.put("preview", Boolean.toString(preview));
        m.put("slabs", Integer.toString(slabs));
        m.put("step", step);
        m.put("tta", Boolean.toString(tta));
        return m;
    }

    /** Parses a map written by {@link #toMap()} (what a stage reads from {@code CaseSubmitted.options}). */
    public static CaseOptions fromMap(Map<String, String> options) {
        return defaults().with(options::get);
    }

    private static String canonicalStep(String raw) {
        BigDecimal v;
        try {
            v = new BigDecimal(raw.trim());
        } catch (NumberFormatException e) {
            throw invalid("step must be a number");
        }
        if (v.signum() <= 0 || v.compareTo(BigDecimal.ONE) > 0) {
            throw invalid("step must be in (0, 1]");
        }
        return v.stripTrailingZeros().toPlainString();
    }

    private static boolean bool(String name, String raw) {
        return switch (raw.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw invalid(name + " must be true or false");
        };
    }

    private static int integer(String name, String raw) {
        try {
            return Integer.parseInt(raw.trim());
        } catch (NumberFormatException e) {
            throw invalid(name + " must be an integer");
        }
    }

    private static StunetException invalid(String why) {
        return new StunetException(ErrorCode.INVALID_REQUEST, "option " + why);
    }
}
