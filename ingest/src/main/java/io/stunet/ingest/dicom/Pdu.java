package io.stunet.ingest.dicom;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * DICOM upper-layer protocol data units (PS3.8 section 9.3): reading a PDU from a socket
 * within a deadline, parsing an A-ASSOCIATE-RQ, and encoding the PDUs an acceptor sends
 * (A-ASSOCIATE-AC/RJ, P-DATA-TF, A-RELEASE-RP, A-ABORT). Multi-byte fields are big endian.
 */
final class Pdu {
    static final int ASSOCIATE_RQ = 0x01;
    static final int ASSOCIATE_AC = 0x02;
    static final int ASSOCIATE_RJ = 0x03;
    static final int P_DATA_TF = 0x04;
    static final int RELEASE_RQ = 0x05;
    static final int RELEASE_RP = 0x06;
    static final int ABORT = 0x07;

    /** A-ABORT source: the service provider (us, as the upper layer). */
    static final int ABORT_PROVIDER = 2;
    static final int ABORT_REASON_NOT_SPECIFIED = 0;
    static final int ABORT_UNEXPECTED_PDU = 2;
    static final int ABORT_INVALID_PARAMETER = 6;

    final int type;
    final byte[] body;

    private Pdu(int type, byte[] body) {
        this.type = type;
        this.body = body;
    }

    /** A PDU whose bytes broke the protocol: the association is aborted with {@link #reason}. */
    static final class ProtocolException extends IOException {
        final int reason;

        ProtocolException(int reason, String message) {
            super(message);
            this.reason = reason;
        }
    }

    /** A proposed presentation context. */
    record Proposed(int id, String abstractSyntax, List<String> transferSyntaxes) {
    }

    /** The parts of an A-ASSOCIATE-RQ the acceptor answers. */
    record AssociateRq(String calledAe, String callingAe, String applicationContext, List<Proposed> contexts,
                       long maxPduLength, byte[] reserved) {
    }

    /**
     * Reads one PDU. Each read waits at most until {@code deadlineNanos} (so a peer that stalls
     * or trickles bytes cannot hold the thread beyond it); returns {@code null} at a clean end
     * of stream before the first byte.
     *
     * @throws SocketTimeoutException past the deadline
     * @throws ProtocolException      for a PDU longer than {@code maxLength}
     */
    static Pdu read(Socket socket, InputStream in, long deadlineNanos, long maxLength) throws IOException {
        byte[] header = new byte[6];
        if (!readFully(socket, in, header, deadlineNanos, true)) {
            return null;
        }
        long length = ByteBuffer.wrap(header, 2, 4).getInt() & 0xFFFFFFFFL;
        if (length > maxLength) {
            throw new ProtocolException(ABORT_INVALID_PARAMETER, "PDU of " + length + " bytes exceeds " + maxLength);
        }
        byte[] body = new byte[(int) length];
        readFully(socket, in, body, deadlineNanos, false);
        return new Pdu(header[0] & 0xFF, body);
    }

    private static boolean readFully(Socket socket, InputStream in, byte[] buf, long deadlineNanos, boolean eofOk)
            throws IOException {
        int off = 0;
        while (off < buf.length) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("PDU not received in time");
            }
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
            int n = in.read(buf, off, buf.length - off);
            if (n < 0) {
                if (eofOk && off == 0) {
                    return false;
                }
                throw new EOFException("connection closed inside a PDU");
            }
            off += n;
        }
        return true;
    }

    /** Parses this A-ASSOCIATE-RQ's body. */
    AssociateRq associateRq() throws ProtocolException {
        ByteBuffer b = ByteBuffer.wrap(body);
        try {
            b.getShort();
            b.getShort();
            String called = ascii(b, 16).trim();
            String calling = ascii(b, 16).trim();
            byte[] reserved = new byte[32];
            b.get(reserved);
            String appContext = null;
            List<Proposed> contexts = new ArrayList<>();
            long maxPdu = 0;
            while (b.hasRemaining()) {
                int itemType = b.get() & 0xFF;
                b.get();
                int len = b.getShort() & 0xFFFF;
                ByteBuffer item = b.slice(b.position(), len);
                b.position(b.position() + len);
                switch (itemType) {
                    case 0x10 -> appContext = uid(item, len);
                    case 0x20 -> contexts.add(proposed(item));
                    case 0x50 -> maxPdu = userInformation(item);
                    default -> {
                        // Other items (none defined for a request today) are skipped, as PS3.8 asks.
                    }
                }
            }
            return new AssociateRq(called, calling, appContext, contexts, maxPdu, reserved);
        } catch (RuntimeException e) {
            throw new ProtocolException(ABORT_INVALID_PARAMETER, "malformed A-ASSOCIATE-RQ");
        }
    }

    private static Proposed proposed(ByteBuffer item) {
        int id = item.get() & 0xFF;
        item.position(4);
        String abstractSyntax = null;
        List<String> syntaxes = new ArrayList<>();
        while (item.hasRemaining()) {
            int sub = item.get() & 0xFF;
            item.get();
            int len = item.getShort() & 0xFFFF;
            ByteBuffer value = item.slice(item.position(), len);
            item.position(item.position() + len);
            if (sub == 0x30) {
                abstractSyntax = uid(value, len);
            } else if (sub == 0x40) {
                syntaxes.add(uid(value, len));
            }
        }
        return new Proposed(id, abstractSyntax, syntaxes);
    }

    /** The maximum-length sub-item of user information (0 = unlimited). */
    private static long userInformation(ByteBuffer item) {
        long max = 0;
        while (item.hasRemaining()) {
            int sub = item.get() & 0xFF;
            item.get();
            int len = item.getShort() & 0xFFFF;
            if (sub == 0x51 && len == 4) {
                max = item.getInt(item.position()) & 0xFFFFFFFFL;
            }
            item.position(item.position() + len);
        }
        return max;
    }

    private static String ascii(ByteBuffer b, int n) {
        byte[] raw = new byte[n];
        b.get(raw);
        return new String(raw, StandardCharsets.US_ASCII);
    }

    private static String uid(ByteBuffer b, int len) {
        byte[] raw = new byte[len];
        b.get(raw);
        int n = len;
        while (n > 0 && (raw[n - 1] == 0 || raw[n - 1] == ' ')) {
            n--;
        }
        return new String(raw, 0, n, StandardCharsets.US_ASCII);
    }

    /** An accepted or rejected presentation context for the A-ASSOCIATE-AC. */
    record Answer(int id, int result, String transferSyntax) {
        static final int ACCEPTANCE = 0;
        static final int ABSTRACT_SYNTAX_NOT_SUPPORTED = 3;
        static final int TRANSFER_SYNTAXES_NOT_SUPPORTED = 4;
    }

    static byte[] associateAc(AssociateRq rq, List<Answer> answers, long ourMaxPdu) {
        ByteArrayOutputStream v = new ByteArrayOutputStream(256);
        v.write(0);
        v.write(1);
        v.write(0);
        v.write(0);
        v.writeBytes(aeField(rq.calledAe()));
        v.writeBytes(aeField(rq.callingAe()));
        v.writeBytes(rq.reserved());
        item(v, 0x10, DicomUids.APPLICATION_CONTEXT.getBytes(StandardCharsets.US_ASCII));
        for (Answer a : answers) {
            ByteArrayOutputStream pc = new ByteArrayOutputStream();
            pc.write(a.id());
            pc.write(0);
            pc.write(a.result());
            pc.write(0);
            item(pc, 0x40, a.transferSyntax().getBytes(StandardCharsets.US_ASCII));
            item(v, 0x21, pc.toByteArray());
        }
        ByteArrayOutputStream user = new ByteArrayOutputStream();
        item(user, 0x51, ByteBuffer.allocate(4).putInt((int) ourMaxPdu).array());
        item(user, 0x52, DicomUids.IMPLEMENTATION_CLASS_UID.getBytes(StandardCharsets.US_ASCII));
        item(user, 0x55, DicomUids.IMPLEMENTATION_VERSION.getBytes(StandardCharsets.US_ASCII));
        item(v, 0x50, user.toByteArray());
        return pdu(ASSOCIATE_AC, v.toByteArray());
    }

    /**
     * @param result 1 rejected-permanent, 2 rejected-transient
     * @param source 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation)
     */
    static byte[] associateRj(int result, int source, int reason) {
        return pdu(ASSOCIATE_RJ, new byte[]{0, (byte) result, (byte) source, (byte) reason});
    }

    static byte[] releaseRp() {
        return pdu(RELEASE_RP, new byte[4]);
    }

    static byte[] abort(int reason) {
        return pdu(ABORT, new byte[]{0, 0, (byte) ABORT_PROVIDER, (byte) reason});
    }

    /**
     * Writes {@code message} as P-DATA-TF PDUs of one PDV each, every PDU within the peer's
     * maximum length ({@code 0}: unlimited).
     */
    static void writePData(OutputStream out, int contextId, boolean command, byte[] message, long peerMax)
            throws IOException {
        int chunk = peerMax == 0 ? message.length : (int) Math.min(message.length, Math.max(1, peerMax - 6));
        int off = 0;
        do {
            int n = Math.min(chunk, message.length - off);
            boolean last = off + n == message.length;
            ByteBuffer b = ByteBuffer.allocate(12 + n);
            b.put((byte) P_DATA_TF).put((byte) 0).putInt(6 + n);
            b.putInt(2 + n).put((byte) contextId).put((byte) ((command ? 1 : 0) | (last ? 2 : 0)));
            b.put(message, off, n);
            out.write(b.array());
            off += n;
        } while (off < message.length);
        out.flush();
    }

    private static byte[] aeField(String ae) {
        byte[] f = new byte[16];
        java.util.Arrays.fill(f, (byte) ' ');
        byte[] raw = ae.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(raw, 0, f, 0, Math.min(16, raw.length));
        return f;
    }

    private static void item(ByteArrayOutputStream out, int type, byte[] value) {
        out.write(type);
        out.write(0);
        out.write((value.length >> 8) & 0xFF);
        out.write(value.length & 0xFF);
        out.writeBytes(value);
    }

    private static byte[] pdu(int type, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(6 + body.length);
        b.put((byte) type).put((byte) 0).putInt(body.length).put(body);
        return b.array();
    }
}
