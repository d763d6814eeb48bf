package io.stunet.ingest.dicom;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Walks a whole DICOM data set (no file meta) in a little-endian transfer syntax and returns
 * the {@link InstanceKeys}. Every element, sequence item and encapsulated fragment is stepped
 * over, so a truncated or structurally broken data set is refused here, before it is spooled;
 * values are not decoded beyond the four identifying UIDs. The receiver needs only this much;
 * decoding pixel data is the codec's work once a series is complete.
 */
public final class DatasetScanner {
    private static final int SOP_CLASS = 0x00080016;
    private static final int SOP_INSTANCE = 0x00080018;
    private static final int STUDY = 0x0020000D;
    private static final int SERIES = 0x0020000E;
    private static final int ITEM = 0xFFFEE000;
    private static final int ITEM_END = 0xFFFEE00D;
    private static final int SEQUENCE_END = 0xFFFEE0DD;
    private static final long UNDEFINED = 0xFFFFFFFFL;
    /** VRs with a 4-byte length in explicit VR (PS3.5 7.1.2). */
    private static final Set<String> LONG_VRS = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN",
            "UR", "UT", "UV");
    private static final int MAX_DEPTH = 16;
    private static final int MAX_UID = 64;

    private final InputStream in;
    private final boolean explicit;
    private long position;
    private final String[] found = new String[4];

    private DatasetScanner(InputStream in, boolean explicit) {
        this.in = in;
        this.explicit = explicit;
    }

    /**
     * Scans the data set read from {@code in} (to its end) encoded in {@code transferSyntax}.
     *
     * @throws DicomRefusal {@link DicomStatus#CANNOT_UNDERSTAND} when the transfer syntax is not
     *                      one we accept, the data set is malformed or truncated, or an
     *                      identifying attribute is missing
     */
    public static InstanceKeys scan(InputStream in, String transferSyntax) throws IOException {
        if (!DicomUids.STORAGE_TRANSFER_SYNTAXES.contains(transferSyntax)) {
            throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "transfer syntax not accepted");
        }
        InputStream source = new BufferedInputStream(in, 1 << 16);
        if (transferSyntax.equals(DicomUids.DEFLATED_EXPLICIT_VR_LE)) {
            source = new BufferedInputStream(new InflaterInputStream(source, new Inflater(true)), 1 << 16);
        }
        DatasetScanner s = new DatasetScanner(source, !transferSyntax.equals(DicomUids.IMPLICIT_VR_LE));
        try {
            s.dataset(-1, 0, true);
        } catch (EOFException e) {
            throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "data set is truncated at byte " + s.position);
        } catch (java.util.zip.ZipException e) {
            throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "deflated data set is corrupt");
        }
        String[] names = {"SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"};
        for (int i = 0; i < 4; i++) {
            if (s.found[i] == null || s.found[i].isEmpty()) {
                throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "data set has no " + names[i]);
            }
        }
        return new InstanceKeys(s.found[0], s.found[1], s.found[2], s.found[3]);
    }

    /**
     * Reads elements until {@code length} bytes are consumed (defined length), an item
     * delimiter (undefined length, {@code length < 0} inside an item) or the end of the stream
     * (top level).
     */
    private void dataset(long length, int depth, boolean top) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "sequences nested deeper than " + MAX_DEPTH);
        }
        long end = length < 0 ? Long.MAX_VALUE : position + length;
        long previous = -1;
        while (position < end) {
            int b0 = in.read();
            if (b0 < 0) {
                if (top) {
                    return;
                }
                throw new EOFException();
            }
            position++;
            int tag = (u16(b0) << 16) | u16();
            if (tag == ITEM_END) {
                if (u32() != 0 || length >= 0 || top) {
                    throw malformed("unexpected item delimiter");
                }
                return;
            }
            if ((tag & 0xFFFFFFFFL) <= previous) {
                throw malformed("elements out of order");
            }
            previous = tag & 0xFFFFFFFFL;
            String vr = null;
            long len;
            if (explicit && (tag >>> 16) != 0xFFFE) {
                vr = new String(new byte[]{(byte) u8(), (byte) u8()}, StandardCharsets.US_ASCII);
                if (!vr.matches("[A-Z]{2}")) {
                    throw malformed("invalid VR");
                }
                if (LONG_VRS.contains(vr)) {
                    u16();
                    len = u32();
                } else {
                    len = u16();
                }
            } else {
                len = u32();
            }
            if (len == UNDEFINED) {
                if (vr == null || vr.equals("SQ") || vr.equals("UN")) {
                    items(depth, false);
                } else if (tag == 0x7FE00010 && (vr.equals("OB") || vr.equals("OW"))) {
                    items(depth, true);
                } else {
                    throw malformed("undefined length on a " + vr + " element");
                }
                continue;
            }
            if (top && isWanted(tag) && len <= MAX_UID) {
                found[index(tag)] = uid(bytes((int) len));
            } else if ("SQ".equals(vr)) {
                definedItems(depth, len);
            } else {
                skip(len);
            }
        }
        if (position != end && length >= 0) {
            throw malformed("item overruns its length");
        }
    }

    /** Items of an undefined-length sequence (or encapsulated pixel data) up to the sequence delimiter. */
    private void items(int depth, boolean fragments) throws IOException {
        while (true) {
            int tag = (u16() << 16) | u16();
            long len = u32();
            if (tag == SEQUENCE_END) {
                if (len != 0) {
                    throw malformed("sequence delimiter with a length");
                }
                return;
            }
            if (tag != ITEM) {
                throw malformed("sequence holds a non-item");
            }
            if (fragments) {
                if (len == UNDEFINED) {
                    throw malformed("pixel data fragment of undefined length");
                }
                skip(len);
            } else {
                dataset(len == UNDEFINED ? -1 : len, depth + 1, false);
            }
        }
    }

    /** Items of a defined-length sequence. */
    private void definedItems(int depth, long length) throws IOException {
        long end = position + length;
        while (position < end) {
            int tag = (u16() << 16) | u16();
            long len = u32();
            if (tag != ITEM) {
                throw malformed("sequence holds a non-item");
            }
            dataset(len == UNDEFINED ? -1 : len, depth + 1, false);
        }
        if (position != end) {
            throw malformed("sequence overruns its length");
        }
    }

    private static boolean isWanted(int tag) {
        return tag == SOP_CLASS || tag == SOP_INSTANCE || tag == STUDY || tag == SERIES;
    }

    private static int index(int tag) {
        return switch (tag) {
            case SOP_CLASS -> 0;
            case SOP_INSTANCE -> 1;
            case STUDY -> 2;
            default -> 3;
        };
    }

    /** A UI value without its padding (NUL, or the space some writers use). */
    static String uid(byte[] raw) {
        int n = raw.length;
        while (n > 0 && (raw[n - 1] == 0 || raw[n - 1] == ' ')) {
            n--;
        }
        String s = new String(raw, 0, n, StandardCharsets.US_ASCII);
        if (!s.matches("[0-9.]*")) {
            throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "a UID attribute holds other characters than digits and dots");
        }
        return s;
    }

    private DicomRefusal malformed(String why) {
        return new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "malformed data set at byte " + position + ": " + why);
    }

    private byte[] bytes(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        position += b.length;
        if (b.length < n) {
            throw new EOFException();
        }
        return b;
    }

    private void skip(long n) throws IOException {
        in.skipNBytes(n);
        position += n;
    }

    private int u8() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException();
        }
        position++;
        return b;
    }

    private int u16(int first) throws IOException {
        return first | (u8() << 8);
    }

    private int u16() throws IOException {
        return u16(u8());
    }

    private long u32() throws IOException {
        return (u16() & 0xFFFFL) | ((long) u16() << 16);
    }
}
