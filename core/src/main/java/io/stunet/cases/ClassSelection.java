package io.stunet.cases;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The classes a case keeps ({@code --classes liver,spleen}, case option {@value CaseOptions#CLASSES}),
 * resolved against a model's class names. The kept classes keep their label values; every other
 * label is set to 0 in the mask and left out of the statistics, the label table and the
 * per-class files. An empty request keeps every class.
 *
 * @param classNames the model's class names, index = label value, background (label 0) first
 * @param keep       {@code keep[label]}: whether the label stays in the outputs ({@code keep[0]} is false)
 */
public record ClassSelection(List<String> classNames, boolean[] keep) {
    public ClassSelection {
        classNames = List.copyOf(classNames);
        keep = keep.clone();
    }

    /**
     * The selection of {@code requested} class names (empty: all) among {@code classNames};
     * {@code INVALID_REQUEST} naming the unknown names and listing the valid ones when a name is
     * not a foreground class of the model.
     */
    public static ClassSelection resolve(Collection<String> requested, List<String> classNames) {
        boolean[] keep = new boolean[classNames.size()];
        if (requested.isEmpty()) {
            for (int k = 1; k < keep.length; k++) {
                keep[k] = true;
            }
            return new ClassSelection(classNames, keep);
        }
        List<String> unknown = new ArrayList<>();
        for (String name : requested) {
            int label = classNames.indexOf(name);
            if (label < 1) {
                unknown.add(name);
            } else {
                keep[label] = true;
            }
        }
        if (!unknown.isEmpty()) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "unknown class name(s) " + String.join(", ", unknown)
                    + "; valid names: " + String.join(", ", classNames.subList(1, classNames.size())));
        }
        return new ClassSelection(classNames, keep);
    }

    /**
     * The canonical text of a class list, as case options and the case id carry it: names
     * trimmed, without duplicates, sorted, joined with commas; empty for "all classes".
     */
    public static String canonical(Collection<String> names) {
        Set<String> sorted = new TreeSet<>();
        for (String n : names) {
            String t = n.trim();
            if (!t.isEmpty()) {
                sorted.add(t);
            }
        }
        return String.join(",", sorted);
    }

    /** The names of a canonical (or any comma-separated) list; empty for an empty text. */
    public static List<String> parse(String commaSeparated) {
        List<String> out = new ArrayList<>();
        for (String n : commaSeparated.split(",")) {
            if (!n.isBlank()) {
                out.add(n.trim());
            }
        }
        return out;
    }

    @Override
    public boolean[] keep() {
        return keep.clone();
    }

    /** Whether label value {@code label} stays in the outputs. */
    public boolean keeps(int label) {
        return label > 0 && label < keep.length && keep[label];
    }

    /** Whether every foreground class is kept (the mask is left as the model made it). */
    public boolean all() {
        for (int k = 1; k < keep.length; k++) {
            if (!keep[k]) {
                return false;
            }
        }
        return true;
    }

    /** The kept label values in increasing order. */
    public List<Integer> labels() {
        List<Integer> out = new ArrayList<>();
        for (int k = 1; k < keep.length; k++) {
            if (keep[k]) {
                out.add(k);
            }
        }
        return out;
    }
}
