package io.stunet.dicom;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import io.stunet.files.AtomicFiles;

/**
 * Writes datasets as DICOM Part 10 in explicit VR little endian: preamble, "DICM", a file
 * meta group built from the dataset's SOP Class/Instance UIDs, then the dataset with
 * sequences and items of undefined length (delimited), which every reader accepts and which
 * needs no second pass to compute lengths. {@link #part10(String, String, String, byte[])}
 * wraps an already-encoded dataset (as received by a C-STORE SCP) without re-encoding it.
 */
public final class DicomWriter {
    /** Our implementation class UID (2.25 form, fixed) and version name written in every file meta group. */
    public static final String IMPLEMENTATION_CLASS_UID = "2.25.266998157196484349838640627355178926139";
    public static final String IMPLEMENTATION_VERSION = "STUNET";

    private DicomWriter() {
    }

    /** The Part 10 bytes of {@code ds} in explicit VR little endian. */
    public static byte[] toBytes(DicomDataset ds) {
        String sopClass = ds.getString(Tag.SOPClassUID);
        String sopInstance = ds.getString(Tag.SOPInstanceUID);
        if (sopClass == null || sopInstance == null) {
            throw new StunetException(ErrorCode.INTERNAL, "dataset to write lacks SOPClassUID or SOPInstanceUID");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(1 << 16);
        writeDataset(body, ds);
        return part10(sopClass, sopInstance, TransferSyntax.EXPLICIT_LE.uid(), body.toByteArray());
    }

    /** Writes {@code ds} as a Part 10 file atomically. */
    public static void write(Path out, DicomDataset ds) {
        byte[] bytes = toBytes(ds);
        try {
            AtomicFiles.write(out, bytes);
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot write DICOM file: " + e.getMessage(), e);
        }
    }

    /** Preamble, prefix and file meta group followed by {@code datasetBytes} encoded in {@code transferSyntaxUid}. */
    public static byte[] part10(String sopClassUid, String sopInstanceUid, String transferSyntaxUid, byte[] datasetBytes) {
        DicomDataset meta = new DicomDataset();
        meta.putBytes(Tag.FileMetaInformationVersion, Vr.OB, new byte[] {0, 1});
        meta.putString(Tag.MediaStorageSOPClassUID, Vr.UI, sopClassUid);
        meta.putString(Tag.MediaStorageSOPInstanceUID, Vr.UI, sopInstanceUid);
        meta.putString(Tag.TransferSyntaxUID, Vr.UI, transferSyntaxUid);
        meta.putString(Tag.ImplementationClassUID, Vr.UI, IMPLEMENTATION_CLASS_UID);
        meta.putString(Tag.ImplementationVersionName, Vr.SH, IMPLEMENTATION_VERSION);
        ByteArrayOutputStream group = new ByteArrayOutputStream();
        writeDataset(group, meta);
        ByteArrayOutputStream out = new ByteArrayOutputStream(132 + 12 + group.size() + datasetBytes.length);
        out.writeBytes(new byte[128]);
        out.writeBytes(new byte[] {'D', 'I', 'C', 'M'});
        DicomDataset length = new DicomDataset().putInts(Tag.FileMetaInformationGroupLength, Vr.UL, group.size());
        writeDataset(out, length);
        out.writeBytes(group.toByteArray());
        out.writeBytes(datasetBytes);
        return out.toByteArray();
    }

    /** Encodes the elements of {@code ds} in explicit VR little endian onto {@code out}. */
    public static void writeDataset(OutputStream out, DicomDataset ds) {
        try {
            for (DicomElement e : ds.elements()) {
                writeElement(out, e);
            }
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot encode DICOM dataset: " + e.getMessage(), e);
        }
    }

    private static void writeElement(OutputStream out, DicomElement e) throws IOException {
        Vr vr = e.vr();
        if (e.isSequence()) {
            header(out, e.tag(), Vr.SQ, -1);
            for (DicomDataset item : e.items()) {
                tagAndLength(out, Tag.Item, -1);
                for (DicomElement child : item.elements()) {
                    writeElement(out, child);
                }
                tagAndLength(out, Tag.ItemDelimitationItem, 0);
            }
            tagAndLength(out, Tag.SequenceDelimitationItem, 0);
            return;
        }
        if (e.isEncapsulated()) {
            header(out, e.tag(), Vr.OB, -1);
            for (int i = 0; i < e.fragmentCount(); i++) {
                ByteBuffer f = e.fragment(i);
                tagAndLength(out, Tag.Item, f.remaining());
                writeBuffer(out, f);
            }
            tagAndLength(out, Tag.SequenceDelimitationItem, 0);
            return;
        }
        int len = e.length();
        boolean odd = len % 2 == 1;
        if (!vr.longLength() && len + (odd ? 1 : 0) > 0xffff) {
            // Too long for a 2-byte length: UN keeps the bytes (PS3.5 6.2.2 allows this for any VR).
            vr = Vr.UN;
        }
        header(out, e.tag(), vr, len + (odd ? 1 : 0));
        writeBuffer(out, e.value());
        if (odd) {
            out.write(vr.padding());
        }
    }

    private static void writeBuffer(OutputStream out, ByteBuffer b) throws IOException {
        if (b.hasArray()) {
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
        } else {
            byte[] copy = new byte[b.remaining()];
            b.duplicate().get(copy);
            out.write(copy);
        }
    }

    private static void header(OutputStream out, int tag, Vr vr, int length) throws IOException {
        writeTag(out, tag);
        out.write(vr.name().charAt(0));
        out.write(vr.name().charAt(1));
        if (vr.longLength()) {
            out.write(0);
            out.write(0);
            writeInt(out, length);
        } else {
            out.write(length & 0xff);
            out.write((length >>> 8) & 0xff);
        }
    }

    private static void tagAndLength(OutputStream out, int tag, int length) throws IOException {
        writeTag(out, tag);
        writeInt(out, length);
    }

    private static void writeTag(OutputStream out, int tag) throws IOException {
        int g = tag >>> 16;
        int el = tag & 0xffff;
        out.write(g & 0xff);
        out.write(g >>> 8);
        out.write(el & 0xff);
        out.write(el >>> 8);
    }

    private static void writeInt(OutputStream out, int v) throws IOException {
        out.write(v & 0xff);
        out.write((v >>> 8) & 0xff);
        out.write((v >>> 16) & 0xff);
        out.write((v >>> 24) & 0xff);
    }
}
