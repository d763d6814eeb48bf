package io.stunet.dicom.dimse;

import io.stunet.dicom.Vr;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;

/**
 * A DIMSE command set (PS3.7 section 9.3 and annex E): group 0000 elements, always encoded
 * in implicit VR little endian whatever transfer syntax the presentation context carries.
 * Holds the raw values by element number; typed accessors read the few fields the storage
 * SCP and SCU need, and {@link #encode()} writes a command with its group length first.
 */
public final class CommandSet {
    public static final int AFFECTED_SOP_CLASS = 0x0002;
    public static final int COMMAND_FIELD = 0x0100;
    public static final int MESSAGE_ID = 0x0110;
    public static final int MESSAGE_ID_RESPONDED = 0x0120;
    public static final int PRIORITY = 0x0700;
    public static final int DATASET_TYPE = 0x0800;
    public static final int STATUS = 0x0900;
    public static final int ERROR_COMMENT = 0x0902;
    public static final int AFFECTED_SOP_INSTANCE = 0x1000;

    public static final int C_STORE_RQ = 0x0001;
    public static final int C_ECHO_RQ = 0x0030;
    public static final int RESPONSE_BIT = 0x8000;
    /** CommandDataSetType value meaning that no data set follows. */
    public static final int NO_DATASET = 0x0101;

    private final Map<Integer, byte[]> elements = new TreeMap<>();

    /** Parses a command; group length and unknown elements are kept as raw values. */
    public static CommandSet decode(byte[] raw) throws Pdu.ProtocolException {
        CommandSet c = new CommandSet();
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= 8) {
            int group = b.getShort() & 0xFFFF;
            int element = b.getShort() & 0xFFFF;
            long len = b.getInt() & 0xFFFFFFFFL;
            if (group != 0 || len > b.remaining()) {
                throw new Pdu.ProtocolException(Pdu.ABORT_INVALID_PARAMETER, "malformed DIMSE command");
            }
            byte[] v = new byte[(int) len];
            b.get(v);
            c.elements.put(element, v);
        }
        if (b.hasRemaining() || !c.elements.containsKey(COMMAND_FIELD)) {
            throw new Pdu.ProtocolException(Pdu.ABORT_INVALID_PARAMETER, "malformed DIMSE command");
        }
        return c;
    }

    public int commandField() {
        return us(COMMAND_FIELD);
    }

    public int messageId() {
        return us(MESSAGE_ID);
    }

    public boolean hasDataset() {
        return !elements.containsKey(DATASET_TYPE) || us(DATASET_TYPE) != NO_DATASET;
    }

    public String uid(int element) {
        byte[] v = elements.get(element);
        return v == null ? null : uidValue(v);
    }

    public int us(int element) {
        byte[] v = elements.get(element);
        return v == null || v.length < 2 ? -1 : (v[0] & 0xFF) | ((v[1] & 0xFF) << 8);
    }

    public CommandSet putUs(int element, int value) {
        elements.put(element, new byte[]{(byte) value, (byte) (value >> 8)});
        return this;
    }

    public CommandSet putUid(int element, String uid) {
        elements.put(element, Vr.UI.encode(uid));
        return this;
    }

    public CommandSet putText(int element, String text) {
        String t = text.length() > 64 ? text.substring(0, 64) : text;
        elements.put(element, Vr.LO.encode(t));
        return this;
    }

    /** A C-STORE-RQ for one instance, medium priority, with its data set following. */
    public static CommandSet storeRq(int messageId, String sopClass, String sopInstance) {
        return new CommandSet().putUid(AFFECTED_SOP_CLASS, sopClass).putUs(COMMAND_FIELD, C_STORE_RQ)
                .putUs(MESSAGE_ID, messageId).putUs(PRIORITY, 0).putUs(DATASET_TYPE, 0x0000)
                .putUid(AFFECTED_SOP_INSTANCE, sopInstance);
    }

    /** A C-ECHO-RQ (Verification), without a data set. */
    public static CommandSet echoRq(int messageId) {
        return new CommandSet().putUid(AFFECTED_SOP_CLASS, DicomUids.VERIFICATION).putUs(COMMAND_FIELD, C_ECHO_RQ)
                .putUs(MESSAGE_ID, messageId).putUs(DATASET_TYPE, NO_DATASET);
    }

    /** A text element (e.g. the error comment of a response) without its padding, or null. */
    public String text(int element) {
        byte[] v = elements.get(element);
        return v == null ? null : new String(v, java.nio.charset.StandardCharsets.ISO_8859_1).trim();
    }

    /**
     * A response to {@code request}: the response command field, the message id responded
     * to, the affected SOP class and instance copied over, no data set, and {@code status}.
     */
    public static CommandSet response(CommandSet request, int status) {
        CommandSet r = new CommandSet();
        String sopClass = request.uid(AFFECTED_SOP_CLASS);
        if (sopClass != null) {
            r.putUid(AFFECTED_SOP_CLASS, sopClass);
        }
        r.putUs(COMMAND_FIELD, request.commandField() | RESPONSE_BIT);
        r.putUs(MESSAGE_ID_RESPONDED, request.messageId());
        r.putUs(DATASET_TYPE, NO_DATASET);
        r.putUs(STATUS, status);
        String instance = request.uid(AFFECTED_SOP_INSTANCE);
        if (instance != null) {
            r.putUid(AFFECTED_SOP_INSTANCE, instance);
        }
        return r;
    }

    public byte[] encode() {
        ByteArrayOutputStream body = new ByteArrayOutputStream(128);
        for (Map.Entry<Integer, byte[]> e : elements.entrySet()) {
            if (e.getKey() != 0) {
                element(body, e.getKey(), e.getValue());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.size() + 12);
        element(out, 0, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(body.size()).array());
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static void element(ByteArrayOutputStream out, int element, byte[] value) {
        ByteBuffer h = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        h.putShort((short) 0).putShort((short) element).putInt(value.length);
        out.writeBytes(h.array());
        out.writeBytes(value);
    }

    /** A UI value without its padding (NUL, or the space some writers use). */
    private static String uidValue(byte[] raw) {
        int n = raw.length;
        while (n > 0 && (raw[n - 1] == 0 || raw[n - 1] == ' ')) {
            n--;
        }
        return new String(raw, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
    }
}
