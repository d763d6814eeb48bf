package io.stunet.dicom;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * One data element: its tag, VR and value. A value is a view of the bytes it was read from
 * (never copied, so a pixel data element of a 512x512 slice costs no allocation), a list of
 * items for a sequence, or fragment views for encapsulated pixel data (the first fragment is
 * the basic offset table, possibly empty). Values are little endian.
 */
public final class DicomElement {
    private final int tag;
    private final Vr vr;
    private final byte[] buf;
    private final int offset;
    private final int length;
    private final List<DicomDataset> items;
    private final int[] fragments;

    private DicomElement(int tag, Vr vr, byte[] buf, int offset, int length, List<DicomDataset> items, int[] fragments) {
        this.tag = tag;
        this.vr = vr;
        this.buf = buf;
        this.offset = offset;
        this.length = length;
        this.items = items;
        this.fragments = fragments;
    }

    /** A value element viewing {@code buf[offset, offset + length)}. */
    public static DicomElement view(int tag, Vr vr, byte[] buf, int offset, int length) {
        return new DicomElement(tag, vr, buf, offset, length, null, null);
    }

    /** A value element owning {@code value}. */
    public static DicomElement of(int tag, Vr vr, byte[] value) {
        return new DicomElement(tag, vr, value, 0, value.length, null, null);
    }

    /** A sequence of items (the list is kept, not copied). */
    public static DicomElement sequence(int tag, List<DicomDataset> items) {
        return new DicomElement(tag, Vr.SQ, null, 0, 0, items, null);
    }

    /** Encapsulated pixel data: {@code fragments} holds (offset, length) pairs into {@code buf}. */
    static DicomElement encapsulated(int tag, Vr vr, byte[] buf, int[] fragments) {
        return new DicomElement(tag, vr, buf, 0, 0, null, fragments);
    }

    public int tag() {
        return tag;
    }

    public Vr vr() {
        return vr;
    }

    public boolean isSequence() {
        return items != null;
    }

    public boolean isEncapsulated() {
        return fragments != null;
    }

    /** The items of a sequence (empty for other elements). */
    public List<DicomDataset> items() {
        return items == null ? List.of() : items;
    }

    /** Value length in bytes (0 for sequences and encapsulated data). */
    public int length() {
        return length;
    }

    /** A read-only little-endian view of the value. */
    public ByteBuffer value() {
        if (buf == null) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        return ByteBuffer.wrap(buf, offset, length).slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A copy of the value bytes. */
    public byte[] bytes() {
        return buf == null ? new byte[0] : Arrays.copyOfRange(buf, offset, offset + length);
    }

    /** Number of fragments of encapsulated pixel data, the basic offset table included. */
    public int fragmentCount() {
        return fragments == null ? 0 : fragments.length / 2;
    }

    /** Fragment {@code i} (0 is the basic offset table) as a read-only little-endian view. */
    public ByteBuffer fragment(int i) {
        return ByteBuffer.wrap(buf, fragments[2 * i], fragments[2 * i + 1]).slice().asReadOnlyBuffer()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    // Package access for the codecs that decode in place.
    byte[] buffer() {
        return buf;
    }

    int offset() {
        return offset;
    }

    @Override
    public String toString() {
        return Tag.toString(tag) + " " + vr + (isSequence() ? " items=" + items.size()
                : isEncapsulated() ? " fragments=" + fragmentCount() : " length=" + length);
    }
}
