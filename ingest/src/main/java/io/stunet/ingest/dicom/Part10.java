package io.stunet.ingest.dicom;

import io.stunet.dicom.Vr;
import io.stunet.dicom.dimse.DicomUids;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The DICOM Part 10 file envelope (PS3.10 7.1): a 128-byte preamble, {@code DICM} and the
 * group 0002 file meta information in explicit VR little endian, followed by the data set in
 * the transfer syntax the meta information names. The receiver writes the meta information
 * of every spooled instance itself, streaming the data set after it; reading is the core
 * codec's ({@code io.stunet.dicom.DicomReader}).
 */
public final class Part10 {
    private static final int PREAMBLE = 128;

    private Part10() {
    }

    /**
     * Writes the preamble, {@code DICM} and the file meta information for a data set in
     * {@code transferSyntax}; the data set's bytes follow unchanged.
     *
     * @param sourceAe the sending application entity title, or {@code null} when unknown
     */
    public static void writeHeader(OutputStream out, InstanceKeys keys, String transferSyntax, String sourceAe)
            throws IOException {
        ByteArrayOutputStream group = new ByteArrayOutputStream(256);
        element(group, 0x0001, "OB", new byte[]{0, 1});
        element(group, 0x0002, "UI", Vr.UI.encode(keys.sopClassUid()));
        element(group, 0x0003, "UI", Vr.UI.encode(keys.sopInstanceUid()));
        element(group, 0x0010, "UI", Vr.UI.encode(transferSyntax));
        element(group, 0x0012, "UI", Vr.UI.encode(DicomUids.IMPLEMENTATION_CLASS_UID));
        element(group, 0x0013, "SH", Vr.SH.encode(DicomUids.IMPLEMENTATION_VERSION));
        if (sourceAe != null && !sourceAe.isEmpty()) {
            element(group, 0x0016, "AE", Vr.AE.encode(sourceAe));
        }
        out.write(new byte[PREAMBLE]);
        out.write("DICM".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(group.size());
        element(out, 0x0000, "UL", length.array());
        group.writeTo(out);
    }

    private static void element(OutputStream out, int element, String vr, byte[] value) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x0002)
                .putShort((short) element);
        h.put(vr.getBytes(StandardCharsets.US_ASCII));
        if (vr.equals("OB")) {
            h.putShort((short) 0).putInt(value.length);
        } else {
            h.putShort((short) value.length);
        }
        out.write(h.array(), 0, h.position());
        out.write(value);
    }
}
