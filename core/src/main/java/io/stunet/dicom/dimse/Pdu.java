package io.stunet.dicom.dimse;

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
 * within a deadline; for an acceptor, parsing an A-ASSOCIATE-RQ and encoding
 * A-ASSOCIATE-AC/RJ, A-RELEASE-RP and A-ABORT; for a requestor, encoding A-ASSOCIATE-RQ and
 * A-RELEASE-RQ and parsing A-ASSOCIATE-AC/RJ; for both, P-DATA-TF and its PDV items.
 * Multi-byte fields are big endian.
 */
public final class Pdu {
    public static final int ASSOCIATE_RQ = 0x01;
    public static final int ASSOCIATE_AC = 0x02;
    public static final int ASSOCIATE_RJ = 0x03;
    public static final int P_DATA_TF = 0x04;
    public static final int RELEASE_RQ = 0x05;
    public static final int RELEASE_RP = 0x06;
    public static final int ABORT = 0x07;

    /** A-ABORT source: the service provider (us, as the upper layer). */
    public static final int ABORT_PROVIDER = 2;
    public static final int ABORT_REASON_NOT_SPECIFIED = 0;
    public static final int ABORT_UNEXPECTED_PDU = 2;
    public static final int ABORT_INVALID_PARAMETER = 6;

    public final int type;
    public final byte[] body;

    private Pdu(int type, byte[] body) {
        this.type = type;
        this.body = body;
    }

    /** A PDU whose bytes broke the protocol: the association is aborted with {@link #reason}. */
    public static final class ProtocolException extends IOException {
        public final int reason;

        public ProtocolException(int reason, String message) {
            super(message);
            this.reason = reason;
        }
    }

    /** A proposed presentation context. */
    public record Proposed(int id, String abstractSyntax, List<String> transferSyntaxes) {
    }

    /** The parts of an A-ASSOCIATE-RQ the acceptor answers. */
    public record AssociateRq(String calledAe, String callingAe, String applicationContext, List<Proposed> contexts,
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
    public static Pdu read(Socket socket, InputStream in, long deadlineNanos, long maxLength) throws IOException {
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

    /** Receives one (sub-)item: its type and its value. */
    private interface ItemVisitor {
        void item(int type, ByteBuffer value);
    }

    /** Walks the items (or sub-items) from {@code b}'s position to its limit: type, reserved byte, 2-byte length, value. */
    private static void items(ByteBuffer b, ItemVisitor visitor) {
        while (b.hasRemaining()) {
            int type = b.get() & 0xFF;
            b.get();
            int len = b.getShort() & 0xFFFF;
            ByteBuffer value = b.slice(b.position(), len);
            b.position(b.position() + len);
            visitor.item(type, value);
        }
    }

    /** Parses this A-ASSOCIATE-RQ's body. */
    public AssociateRq associateRq() throws ProtocolException {
        ByteBuffer b = ByteBuffer.wrap(body);
        try {
            b.getShort();
            b.getShort();
            String called = ascii(b, 16).trim();
            String calling = ascii(b, 16).trim();
            byte[] reserved = new byte[32];
            b.get(reserved);
            String[] appContext = {null};
            List<Proposed> contexts = new ArrayList<>();
            long[] maxPdu = {0};
            items(b, (type, item) -> {
                switch (type) {
                    case 0x10 -> appContext[0] = uid(item);
                    case 0x20 -> contexts.add(proposed(item));
                    case 0x50 -> maxPdu[0] = userInformation(item);
                    default -> {
                        // Other items (none defined for a request today) are skipped, as PS3.8 asks.
                    }
                }
            });
            return new AssociateRq(called, calling, appContext[0], contexts, maxPdu[0], reserved);
        } catch (RuntimeException e) {
            throw new ProtocolException(ABORT_INVALID_PARAMETER, "malformed A-ASSOCIATE-RQ");
        }
    }

    private static Proposed proposed(ByteBuffer item) {
        int id = item.get() & 0xFF;
        item.position(4);
        String[] abstractSyntax = {null};
        List<String> syntaxes = new ArrayList<>();
        items(item, (sub, value) -> {
            if (sub == 0x30) {
                abstractSyntax[0] = uid(value);
            } else if (sub == 0x40) {
                syntaxes.add(uid(value));
            }
        });
        return new Proposed(id, abstractSyntax[0], syntaxes);
    }

    /** The maximum-length sub-item of user information (0 = unlimited). */
    private static long userInformation(ByteBuffer item) {
        long[] max = {0};
        items(item, (sub, value) -> {
            if (sub == 0x51 && value.remaining() == 4) {
                max[0] = value.getInt(0) & 0xFFFFFFFFL;
            }
        });
        return max[0];
    }

    private static String ascii(ByteBuffer b, int n) {
        byte[] raw = new byte[n];
        b.get(raw);
        return new String(raw, StandardCharsets.US_ASCII);
    }

    /** A UID (sub-)item value without its padding. */
    private static String uid(ByteBuffer b) {
        byte[] raw = new byte[b.remaining()];
        b.get(raw);
        int n = raw.length;
        while (n > 0 && (raw[n - 1] == 0 || raw[n - 1] == ' ')) {
            n--;
        }
        return new String(raw, 0, n, StandardCharsets.US_ASCII);
    }

    /** An accepted or rejected presentation context for the A-ASSOCIATE-AC. */
    public record Answer(int id, int result, String transferSyntax) {
        public static final int ACCEPTANCE = 0;
        public static final int ABSTRACT_SYNTAX_NOT_SUPPORTED = 3;
        public static final int TRANSFER_SYNTAXES_NOT_SUPPORTED = 4;
    }

    public static byte[] associateAc(AssociateRq rq, List<Answer> answers, long ourMaxPdu) {
        ByteArrayOutputStream v = associateHeader(rq.calledAe(), rq.callingAe(), rq.reserved());
        for (Answer a : answers) {
            ByteArrayOutputStream pc = new ByteArrayOutputStream();
            pc.write(a.id());
            pc.write(0);
            pc.write(a.result());
            pc.write(0);
            item(pc, 0x40, a.transferSyntax().getBytes(StandardCharsets.US_ASCII));
            item(v, 0x21, pc.toByteArray());
        }
        userInformation(v, ourMaxPdu);
        return pdu(ASSOCIATE_AC, v.toByteArray());
    }

    /**
     * An A-ASSOCIATE-RQ from {@code callingAe} to {@code calledAe} proposing {@code contexts}
     * (ids odd, PS3.8 9.3.2.2), with our maximum PDU length and implementation identity.
     */
    public static byte[] encodeAssociateRq(String calledAe, String callingAe, List<Proposed> contexts, long ourMaxPdu) {
        ByteArrayOutputStream v = associateHeader(calledAe, callingAe, new byte[32]);
        for (Proposed p : contexts) {
            ByteArrayOutputStream pc = new ByteArrayOutputStream();
            pc.write(p.id());
            pc.write(0);
            pc.write(0);
            pc.write(0);
            item(pc, 0x30, p.abstractSyntax().getBytes(StandardCharsets.US_ASCII));
            for (String ts : p.transferSyntaxes()) {
                item(pc, 0x40, ts.getBytes(StandardCharsets.US_ASCII));
            }
            item(v, 0x20, pc.toByteArray());
        }
        userInformation(v, ourMaxPdu);
        return pdu(ASSOCIATE_RQ, v.toByteArray());
    }

    /** The fields an A-ASSOCIATE-RQ and -AC share: protocol version, AE titles, reserved bytes, application context. */
    private static ByteArrayOutputStream associateHeader(String calledAe, String callingAe, byte[] reserved) {
        ByteArrayOutputStream v = new ByteArrayOutputStream(256);
        v.write(0);
        v.write(1);
        v.write(0);
        v.write(0);
        v.writeBytes(aeField(calledAe));
        v.writeBytes(aeField(callingAe));
        v.writeBytes(reserved);
        item(v, 0x10, DicomUids.APPLICATION_CONTEXT.getBytes(StandardCharsets.US_ASCII));
        return v;
    }

    /** The user information item: maximum length, implementation class UID and version name. */
    private static void userInformation(ByteArrayOutputStream v, long ourMaxPdu) {
        ByteArrayOutputStream user = new ByteArrayOutputStream();
        item(user, 0x51, ByteBuffer.allocate(4).putInt((int) ourMaxPdu).array());
        item(user, 0x52, DicomUids.IMPLEMENTATION_CLASS_UID.getBytes(StandardCharsets.US_ASCII));
        item(user, 0x55, DicomUids.IMPLEMENTATION_VERSION.getBytes(StandardCharsets.US_ASCII));
        item(v, 0x50, user.toByteArray());
    }

    /** The answers of an A-ASSOCIATE-AC and the acceptor's maximum PDU length (0 = unlimited). */
    public record AssociateAc(List<Answer> answers, long maxPduLength) {
    }

    /** Parses this A-ASSOCIATE-AC's body. */
    public AssociateAc associateAcBody() throws ProtocolException {
        ByteBuffer b = ByteBuffer.wrap(body);
        try {
            b.position(68);
            List<Answer> answers = new ArrayList<>();
            long[] maxPdu = {0};
            items(b, (type, item) -> {
                if (type == 0x21) {
                    int id = item.get() & 0xFF;
                    item.get();
                    int result = item.get() & 0xFF;
                    item.get();
                    String[] ts = {null};
                    items(item, (sub, value) -> {
                        if (sub == 0x40) {
                            ts[0] = uid(value);
                        }
                    });
                    answers.add(new Answer(id, result, ts[0]));
                } else if (type == 0x50) {
                    maxPdu[0] = userInformation(item);
                }
            });
            return new AssociateAc(answers, maxPdu[0]);
        } catch (RuntimeException e) {
            throw new ProtocolException(ABORT_INVALID_PARAMETER, "malformed A-ASSOCIATE-AC");
        }
    }

    /** This A-ASSOCIATE-RJ's result, source and reason in words, as PS3.8 table 9-21 numbers them. */
    public String rejection() {
        if (body.length < 4) {
            return "rejected";
        }
        return String.format(java.util.Locale.ROOT, "rejected %s (source %d, reason %d)",
                body[1] == 1 ? "permanently" : "transiently", body[2] & 0xFF, body[3] & 0xFF);
    }

    /** One presentation data value of a P-DATA-TF: its bytes are {@code body[offset, offset + length)}. */
    public record Pdv(int contextId, boolean command, boolean last, int offset, int length) {
    }

    /** The PDV items of this P-DATA-TF, in order. */
    public List<Pdv> pdvs() throws ProtocolException {
        List<Pdv> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(body);
        while (b.hasRemaining()) {
            if (b.remaining() < 6) {
                throw new ProtocolException(ABORT_INVALID_PARAMETER, "truncated PDV item");
            }
            long len = b.getInt() & 0xFFFFFFFFL;
            if (len < 2 || len > b.remaining()) {
                throw new ProtocolException(ABORT_INVALID_PARAMETER, "PDV length outside its PDU");
            }
            int pcid = b.get() & 0xFF;
            int header = b.get() & 0xFF;
            int n = (int) len - 2;
            out.add(new Pdv(pcid, (header & 1) != 0, (header & 2) != 0, b.position(), n));
            b.position(b.position() + n);
        }
        return out;
    }

    public static byte[] releaseRq() {
        return pdu(RELEASE_RQ, new byte[4]);
    }

    /**
     * @param result 1 rejected-permanent, 2 rejected-transient
     * @param source 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation)
     */
    public static byte[] associateRj(int result, int source, int reason) {
        return pdu(ASSOCIATE_RJ, new byte[]{0, (byte) result, (byte) source, (byte) reason});
    }

    public static byte[] releaseRp() {
        return pdu(RELEASE_RP, new byte[4]);
    }

    public static byte[] abort(int reason) {
        return pdu(ABORT, new byte[]{0, 0, (byte) ABORT_PROVIDER, (byte) reason});
    }

    /**
     * Writes {@code message} as P-DATA-TF PDUs of one PDV each, every PDU within the peer's
     * maximum length ({@code 0}: unlimited).
     */
    public static void writePData(OutputStream out, int contextId, boolean command, byte[] message, long peerMax)
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
