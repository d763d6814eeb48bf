package io.stunet.dicom;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * An ordered set of data elements (a dataset, a file meta group or a sequence item), keyed
 * by tag in ascending unsigned order as the standard requires for encoding. Getters
 * interpret values by VR: strings are read as ISO-8859-1 bytes (the bytes of other character
 * sets survive a copy untouched; we never interpret person names), numbers from their
 * text (DS, IS) or binary (US, SS, UL, SL, FL, FD) form. Mutable, not thread-safe.
 */
public final class DicomDataset {
    private final TreeMap<Integer, DicomElement> elements = new TreeMap<>(Integer::compareUnsigned);

    public DicomElement get(int tag) {
        return elements.get(tag);
    }

    public boolean contains(int tag) {
        return elements.containsKey(tag);
    }

    /** The elements in tag order (a live view). */
    public Collection<DicomElement> elements() {
        return elements.values();
    }

    public int size() {
        return elements.size();
    }

    public DicomDataset put(DicomElement e) {
        elements.put(e.tag(), e);
        return this;
    }

    public DicomDataset remove(int tag) {
        elements.remove(tag);
        return this;
    }

    /** The whole string value, trailing padding (spaces, NULs) and leading spaces removed; null if absent. */
    public String getString(int tag) {
        DicomElement e = elements.get(tag);
        if (e == null || e.isSequence() || e.isEncapsulated()) {
            return null;
        }
        return trim(new String(e.buffer() == null ? new byte[0] : e.buffer(), e.offset(), e.length(),
                StandardCharsets.ISO_8859_1));
    }

    /** The backslash-separated values of a string element, each trimmed; empty if absent. */
    public String[] getStrings(int tag) {
        String s = getString(tag);
        if (s == null || s.isEmpty()) {
            return new String[0];
        }
        String[] parts = s.split("\\\\", -1);
        for (int i = 0; i < parts.length; i++) {
            parts[i] = trim(parts[i]);
        }
        return parts;
    }

    /**
     * The numeric values of an element: DS/IS parsed from text, US/SS/UL/SL/FL/FD/AT decoded
     * from binary. Null if absent; a non-numeric value throws {@link NumberFormatException},
     * which callers turn into their own typed error.
     */
    public double[] getDoubles(int tag) {
        DicomElement e = elements.get(tag);
        if (e == null || e.isSequence() || e.isEncapsulated()) {
            return null;
        }
        ByteBuffer b = e.value();
        return switch (e.vr()) {
            case US -> {
                double[] d = new double[b.remaining() / 2];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.getShort() & 0xffff;
                }
                yield d;
            }
            case SS -> {
                double[] d = new double[b.remaining() / 2];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.getShort();
                }
                yield d;
            }
            case UL, AT -> {
                double[] d = new double[b.remaining() / 4];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.getInt() & 0xffffffffL;
                }
                yield d;
            }
            case SL -> {
                double[] d = new double[b.remaining() / 4];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.getInt();
                }
                yield d;
            }
            case FL -> {
                double[] d = new double[b.remaining() / 4];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.getFloat();
                }
                yield d;
            }
            case FD -> {
                double[] d = new double[b.remaining() / 8];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.getDouble();
                }
                yield d;
            }
            default -> {
                String[] parts = getStrings(tag);
                double[] d = new double[parts.length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = Double.parseDouble(parts[i]);
                }
                yield d;
            }
        };
    }

    /** The first numeric value, or {@code fallback} when the element is absent or empty. */
    public double getDouble(int tag, double fallback) {
        double[] d = getDoubles(tag);
        return d == null || d.length == 0 ? fallback : d[0];
    }

    /** The first numeric value as an int, or {@code fallback} when absent or empty. */
    public int getInt(int tag, int fallback) {
        double[] d = getDoubles(tag);
        return d == null || d.length == 0 ? fallback : (int) d[0];
    }

    /** The items of a sequence; empty if absent. */
    public List<DicomDataset> getSequence(int tag) {
        DicomElement e = elements.get(tag);
        return e == null ? List.of() : e.items();
    }

    /** Sets a text element; values are joined with backslashes and padded to even length. */
    public DicomDataset putString(int tag, Vr vr, String... values) {
        return put(DicomElement.of(tag, vr, vr.encode(String.join("\\", values))));
    }

    /** Sets a DS element from numbers, each written in at most 16 characters. */
    public DicomDataset putDecimals(int tag, double... values) {
        String[] s = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            s[i] = formatDs(values[i]);
        }
        return putString(tag, Vr.DS, s);
    }

    /** Sets a binary integer element (US, SS, UL, SL or AT). */
    public DicomDataset putInts(int tag, Vr vr, int... values) {
        int width = vr == Vr.US || vr == Vr.SS ? 2 : 4;
        ByteBuffer b = ByteBuffer.allocate(values.length * width).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            if (vr == Vr.AT) {
                b.putShort((short) (v >>> 16)).putShort((short) v);
            } else if (width == 2) {
                b.putShort((short) v);
            } else {
                b.putInt(v);
            }
        }
        return put(DicomElement.of(tag, vr, b.array()));
    }

    public DicomDataset putSequence(int tag, List<DicomDataset> items) {
        return put(DicomElement.sequence(tag, new ArrayList<>(items)));
    }

    public DicomDataset putBytes(int tag, Vr vr, byte[] value) {
        return put(DicomElement.of(tag, vr, value));
    }

    /** A decimal string of at most 16 characters that reads back as close to {@code v} as DS allows. */
    static String formatDs(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String s = Double.toString(v);
        if (s.length() <= 16 && !s.contains("E")) {
            return s;
        }
        for (int digits = 14; digits > 0; digits--) {
            String t = String.format(Locale.ROOT, "%." + digits + "g", v).trim();
            if (t.contains("e")) {
                t = t.replaceAll("0+e", "e").replace(".e", "e");
            } else if (t.contains(".")) {
                t = t.replaceAll("0+$", "").replaceAll("\\.$", "");
            }
            if (t.length() <= 16) {
                return t;
            }
        }
        return "0";
    }

    private static String trim(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == 0)) {
            end--;
        }
        int start = 0;
        while (start < end && s.charAt(start) == ' ') {
            start++;
        }
        return s.substring(start, end);
    }

    @Override
    public String toString() {
        return "DicomDataset[" + elements.size() + " elements]";
    }
}
