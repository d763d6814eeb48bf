package io.stunet.dicom;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidDicomException;
import io.stunet.error.StunetException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Parses DICOM Part 10 files (128-byte preamble, "DICM", group 2 in explicit VR little
 * endian) and raw datasets in a given transfer syntax (what a C-STORE SCP receives).
 * Implicit and explicit VR little endian and deflated explicit VR little endian datasets
 * parse; sequences and items of defined and undefined length, and encapsulated pixel data
 * (fragments and basic offset table) are supported. Values stay views into the input bytes.
 * Every malformed input (truncated, bad lengths, garbage) fails with
 * {@link ErrorCode#INVALID_DICOM}; unsupported syntaxes with
 * {@link ErrorCode#UNSUPPORTED_TRANSFER_SYNTAX}.
 */
public final class DicomReader {
    private static final int MAX_DEPTH = 64;
    private static final int UNDEFINED = -1;

    private final byte[] b;
    private int pos;

    private DicomReader(byte[] b, int pos) {
        this.b = b;
        this.pos = pos;
    }

    /** Reads a Part 10 file. */
    public static DicomFile read(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot read DICOM file: " + e.getMessage(), e);
        }
        return read(bytes);
    }

    /** Reads a Part 10 object from bytes (kept and viewed by the result, not copied). */
    public static DicomFile read(byte[] bytes) {
        try {
            if (bytes.length < 132 || bytes[128] != 'D' || bytes[129] != 'I' || bytes[130] != 'C' || bytes[131] != 'M') {
                throw invalid("no DICM prefix at offset 128 (not a DICOM Part 10 file)");
            }
            DicomReader r = new DicomReader(bytes, 132);
            DicomDataset meta = r.meta();
            String tsUid = meta.getString(Tag.TransferSyntaxUID);
            if (tsUid == null || tsUid.isEmpty()) {
                throw invalid("file meta information has no TransferSyntaxUID");
            }
            TransferSyntax ts = TransferSyntax.of(tsUid);
            return new DicomFile(meta, parse(bytes, r.pos, ts), ts);
        } catch (RuntimeException e) {
            throw typed(e);
        }
    }

    /**
     * Where the data set of a Part 10 object starts (after preamble, prefix and file meta
     * information), for a receiver that keeps the data set's bytes as they are; call after
     * {@link #read(byte[])} accepted the bytes.
     */
    public static int datasetOffset(byte[] part10) {
        try {
            DicomReader r = new DicomReader(part10, 132);
            r.meta();
            return r.pos;
        } catch (RuntimeException e) {
            throw typed(e);
        }
    }

    private DicomDataset meta() {
        DicomDataset meta = new DicomDataset();
        while (pos + 4 <= b.length && u16(pos) == 0x0002) {
            readElement(meta, b.length, true, 0);
        }
        return meta;
    }

    /** Reads a dataset without file meta information, encoded in the given transfer syntax. */
    public static DicomFile readDataset(byte[] bytes, String transferSyntaxUid) {
        TransferSyntax ts = TransferSyntax.of(transferSyntaxUid);
        try {
            return new DicomFile(new DicomDataset(), parse(bytes, 0, ts), ts);
        } catch (RuntimeException e) {
            throw typed(e);
        }
    }

    /** As {@link #readDataset(byte[], String)} from the remaining bytes of a buffer (copied once if not array-backed). */
    public static DicomFile readDataset(ByteBuffer buffer, String transferSyntaxUid) {
        byte[] bytes;
        if (buffer.hasArray() && buffer.arrayOffset() == 0 && buffer.position() == 0
                && buffer.remaining() == buffer.array().length) {
            bytes = buffer.array();
        } else {
            bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
        }
        return readDataset(bytes, transferSyntaxUid);
    }

    private static DicomDataset parse(byte[] bytes, int start, TransferSyntax ts) {
        byte[] data = bytes;
        int from = start;
        if (ts.deflated()) {
            data = inflate(bytes, start);
            from = 0;
        }
        DicomReader r = new DicomReader(data, from);
        DicomDataset ds = new DicomDataset();
        while (r.pos < data.length) {
            // Trailing padding shorter than an element header is tolerated (some writers pad to even length).
            if (data.length - r.pos < 8 && allZero(data, r.pos)) {
                break;
            }
            r.readElement(ds, data.length, ts.explicitVr(), 0);
        }
        return ds;
    }

    private static boolean allZero(byte[] a, int from) {
        for (int i = from; i < a.length; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] inflate(byte[] bytes, int start) {
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(bytes, start, bytes.length - start);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, (bytes.length - start) * 4));
            byte[] chunk = new byte[1 << 16];
            while (!inf.finished()) {
                int n = inf.inflate(chunk);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    throw invalid("deflated dataset ends before its deflate stream does");
                }
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new InvalidDicomException(ErrorCode.INVALID_DICOM, "deflated dataset is not a valid deflate stream", e);
        } finally {
            inf.end();
        }
    }

    /** Reads one element at {@code pos} into {@code ds}; returns false on an item delimiter (consumed). */
    private boolean readElement(DicomDataset ds, int end, boolean explicit, int depth) {
        need(8, end);
        int tag = (u16(pos) << 16) | u16(pos + 2);
        if (tag == Tag.ItemDelimitationItem) {
            pos += 8;
            return false;
        }
        if ((tag >>> 16) == 0xFFFE) {
            throw invalid("unexpected delimiter " + Tag.toString(tag) + " at offset " + pos);
        }
        Vr vr;
        long len;
        if (explicit) {
            vr = Vr.fromCode(b[pos + 4], b[pos + 5]);
            if (vr == null) {
                throw invalid("unknown VR in element " + Tag.toString(tag) + " at offset " + pos);
            }
            if (vr == Vr.UN) {
                // A UN element whose tag the dictionary knows is read as that VR, as pydicom does;
                // its value is implicit VR little endian (PS3.5 6.2.2), the same bytes for non-sequences.
                Vr known = Tag.vrOf(tag);
                need(12, end);
                len = u32(pos + 8);
                pos += 12;
                if (known != Vr.UN) {
                    vr = known;
                    explicit = known != Vr.SQ;
                }
            } else if (vr.longLength()) {
                need(12, end);
                len = u32(pos + 8);
                pos += 12;
            } else {
                len = u16(pos + 6);
                pos += 8;
            }
        } else {
            vr = Tag.vrOf(tag);
            len = u32(pos + 4);
            pos += 8;
        }
        if (len == 0xFFFFFFFFL) {
            if (tag == Tag.PixelData) {
                ds.put(readFragments(tag, vr, end));
            } else if (vr == Vr.SQ || vr == Vr.UN) {
                // An undefined-length UN is a sequence in implicit VR little endian (PS3.5 6.2.2).
                boolean itemsExplicit = explicit && vr == Vr.SQ;
                ds.put(DicomElement.sequence(tag, readItems(UNDEFINED, end, itemsExplicit, depth + 1)));
            } else {
                throw invalid("undefined length on non-sequence element " + Tag.toString(tag));
            }
            return true;
        }
        if (len > end - pos) {
            throw invalid("element " + Tag.toString(tag) + " declares " + len + " bytes, " + (end - pos)
                    + " remain (truncated)");
        }
        int n = (int) len;
        if (vr == Vr.SQ) {
            ds.put(DicomElement.sequence(tag, readItems(pos + n, pos + n, explicit, depth + 1)));
        } else {
            ds.put(DicomElement.view(tag, vr, b, pos, n));
            pos += n;
        }
        return true;
    }

    /** Items until {@code stop} (defined length) or a sequence delimiter ({@code stop == UNDEFINED}). */
    private List<DicomDataset> readItems(int stop, int end, boolean explicit, int depth) {
        if (depth > MAX_DEPTH) {
            throw invalid("sequences nested deeper than " + MAX_DEPTH);
        }
        List<DicomDataset> items = new ArrayList<>();
        while (stop == UNDEFINED || pos < stop) {
            need(8, end);
            int tag = (u16(pos) << 16) | u16(pos + 2);
            long len = u32(pos + 4);
            pos += 8;
            if (tag == Tag.SequenceDelimitationItem && stop == UNDEFINED) {
                return items;
            }
            if (tag != Tag.Item) {
                throw invalid("expected an item in a sequence, found " + Tag.toString(tag));
            }
            DicomDataset item = new DicomDataset();
            if (len == 0xFFFFFFFFL) {
                while (readElement(item, end, explicit, depth)) {
                    // until the item delimiter
                }
            } else {
                if (len > end - pos) {
                    throw invalid("item declares " + len + " bytes, " + (end - pos) + " remain (truncated)");
                }
                int itemEnd = pos + (int) len;
                while (pos < itemEnd) {
                    if (!readElement(item, itemEnd, explicit, depth)) {
                        break;
                    }
                }
                pos = itemEnd;
            }
            items.add(item);
        }
        if (pos != stop) {
            throw invalid("sequence items overrun the sequence length");
        }
        return items;
    }

    private DicomElement readFragments(int tag, Vr vr, int end) {
        int[] frags = new int[16];
        int n = 0;
        while (true) {
            need(8, end);
            int t = (u16(pos) << 16) | u16(pos + 2);
            long len = u32(pos + 4);
            pos += 8;
            if (t == Tag.SequenceDelimitationItem) {
                break;
            }
            if (t != Tag.Item || len > end - pos) {
                throw invalid("encapsulated pixel data: bad fragment " + Tag.toString(t) + " of " + len + " bytes");
            }
            if (2 * n + 2 > frags.length) {
                frags = java.util.Arrays.copyOf(frags, frags.length * 2);
            }
            frags[2 * n] = pos;
            frags[2 * n + 1] = (int) len;
            n++;
            pos += (int) len;
        }
        if (n == 0) {
            throw invalid("encapsulated pixel data without a basic offset table item");
        }
        return DicomElement.encapsulated(tag, vr, b, java.util.Arrays.copyOf(frags, 2 * n));
    }

    private void need(int n, int end) {
        if (end - pos < n) {
            throw invalid("data ends inside an element header at offset " + pos + " (truncated)");
        }
    }

    private int u16(int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private long u32(int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }

    static InvalidDicomException invalid(String message) {
        return new InvalidDicomException(ErrorCode.INVALID_DICOM, message);
    }

    /** Our own typed errors pass; anything else a malformed input provoked becomes INVALID_DICOM. */
    static StunetException typed(RuntimeException e) {
        if (e instanceof StunetException s) {
            return s;
        }
        return new InvalidDicomException(ErrorCode.INVALID_DICOM, "malformed DICOM data: " + e.getClass().getSimpleName(), e);
    }
}
