package io.stunet.dicom.dimse;

import io.stunet.dicom.DicomFile;
import io.stunet.dicom.DicomReader;
import io.stunet.dicom.Tag;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A storage SCU (PS3.4 annex B; PS3.7 C-STORE and C-ECHO; PS3.8 as association requestor):
 * one association per object to a remote application entity, proposing the object's SOP
 * class with its own transfer syntax (so its bytes go unchanged), one C-STORE, then release;
 * or one C-ECHO to check the destination.
 * Blocking, and bounded by the timeout from connect to release; calls may run concurrently
 * (each has its own association).
 */
public final class StoreScu {
    /** Our maximum PDU length, advertised in the A-ASSOCIATE-RQ and enforced on what we receive. */
    static final int MAX_PDU = 64 * 1024;
    private static final int CONTEXT = 1;

    /** A remote application entity: called AE title, host and port. */
    public record Destination(String calledAe, String host, int port) {
        public Destination {
            requireAeTitle(calledAe);
            if (host == null || host.isBlank() || port < 1 || port > 65535) {
                throw new StunetException(ErrorCode.INVALID_CONFIG, "DICOM destination needs a host and a port in 1-65535");
            }
        }

        /** Parses {@code AE@host:port}, the way DICOM tools name a remote application entity. */
        public static Destination parse(String spec) {
            int at = spec == null ? -1 : spec.indexOf('@');
            int colon = spec == null ? -1 : spec.lastIndexOf(':');
            if (at <= 0 || colon < at + 2 || colon == spec.length() - 1) {
                throw new StunetException(ErrorCode.INVALID_CONFIG, "DICOM destination must be AE@host:port");
            }
            int port;
            try {
                port = Integer.parseInt(spec.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new StunetException(ErrorCode.INVALID_CONFIG, "DICOM destination must be AE@host:port (port not a number)");
            }
            return new Destination(spec.substring(0, at), spec.substring(at + 1, colon), port);
        }

        @Override
        public String toString() {
            return calledAe + "@" + host + ":" + port;
        }
    }

    /** The destination's answer to a stored object: success or a warning status, and its comment if it gave one. */
    public record Outcome(int status, String comment) {
    }

    private final Destination destination;
    private final String callingAe;
    private final Duration timeout;

    /**
     * @param callingAe our AE title in the association
     * @param timeout   the longest a whole send may take, connect to release
     */
    public StoreScu(Destination destination, String callingAe, Duration timeout) {
        this.destination = Objects.requireNonNull(destination, "destination");
        this.callingAe = requireAeTitle(callingAe);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** An AE title as PS3.5 allows it: 1-16 printable characters, no backslash, not only spaces. */
    static String requireAeTitle(String ae) {
        if (ae == null || ae.isBlank() || ae.length() > 16 || !ae.matches("[\\x20-\\x7E]+") || ae.contains("\\")) {
            throw new StunetException(ErrorCode.INVALID_CONFIG, "AE title must be 1-16 printable characters, no backslash");
        }
        return ae;
    }

    public Destination destination() {
        return destination;
    }

    /**
     * Stores one Part 10 object at the destination.
     *
     * @throws StunetException the reader's {@code INVALID_DICOM} when the bytes are not a Part 10
     *                         object, {@code INVALID_REQUEST} when its file meta lacks SOP class,
     *                         instance or transfer syntax (both before any connection); {@code UNAVAILABLE} when the
     *                         destination cannot be reached or does not answer in time, rejects
     *                         or aborts the association, does not accept the SOP class with the
     *                         object's transfer syntax, or answers the C-STORE with a failure
     *                         status (the message says which)
     */
    public Outcome send(byte[] part10) {
        DicomFile file = DicomReader.read(part10);
        String sopClass = file.meta().getString(Tag.MediaStorageSOPClassUID);
        String sopInstance = file.meta().getString(Tag.MediaStorageSOPInstanceUID);
        String syntax = file.meta().getString(Tag.TransferSyntaxUID);
        if (sopClass == null || sopInstance == null || syntax == null) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "a DICOM object to send needs its SOP class, instance and transfer syntax");
        }
        byte[] dataset = Arrays.copyOfRange(part10, DicomReader.datasetOffset(part10), part10.length);
        CommandSet rsp = exchange(sopClass, syntax, CommandSet.storeRq(1, sopClass, sopInstance), dataset);
        int status = rsp.us(CommandSet.STATUS);
        String comment = rsp.text(CommandSet.ERROR_COMMENT);
        if (!DicomStatus.stored(status)) {
            throw unavailable("refused the object with status " + DicomStatus.hex(status)
                    + (comment == null || comment.isEmpty() ? "" : " (" + comment + ")"), null);
        }
        return new Outcome(status, comment);
    }

    /**
     * C-ECHO: whether the destination accepts an association from us and answers
     * Verification, e.g. to check a configured destination before the first object goes there.
     *
     * @throws StunetException {@code UNAVAILABLE}, as for {@link #send}
     */
    public void echo() {
        CommandSet rsp = exchange(DicomUids.VERIFICATION, DicomUids.IMPLICIT_VR_LE, CommandSet.echoRq(1), null);
        int status = rsp.us(CommandSet.STATUS);
        if (status != DicomStatus.SUCCESS) {
            throw unavailable("answered C-ECHO with status " + DicomStatus.hex(status), null);
        }
    }

    /**
     * One association: proposes {@code sopClass} in {@code syntax}, sends {@code request} (and
     * {@code dataset}, when not null), returns the response, releases.
     */
    private CommandSet exchange(String sopClass, String syntax, CommandSet request, byte[] dataset) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(destination.host(), destination.port()), (int) Math.max(1, timeout.toMillis()));
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            out.write(Pdu.encodeAssociateRq(destination.calledAe(), callingAe,
                    List.of(new Pdu.Proposed(CONTEXT, sopClass, List.of(syntax))), MAX_PDU));
            out.flush();
            long peerMax = accepted(expect(socket, in, deadline, Pdu.ASSOCIATE_AC, "association"), sopClass, syntax);
            Pdu.writePData(out, CONTEXT, true, request.encode(), peerMax);
            if (dataset != null) {
                Pdu.writePData(out, CONTEXT, false, dataset, peerMax);
            }
            CommandSet rsp = response(socket, in, deadline, request.commandField() | CommandSet.RESPONSE_BIT);
            out.write(Pdu.releaseRq());
            out.flush();
            // A release reply is courtesy: the request is answered already.
            try {
                Pdu.read(socket, in, deadline, MAX_PDU);
            } catch (IOException e) {
                // the destination closed without replying; nothing is lost
            }
            return rsp;
        } catch (SocketTimeoutException e) {
            throw unavailable("did not answer within " + timeout.toMillis() + " ms", e);
        } catch (Pdu.ProtocolException e) {
            throw unavailable("broke the DICOM protocol: " + e.getMessage(), e);
        } catch (IOException e) {
            throw unavailable("unreachable: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        }
    }

    private StunetException unavailable(String what, Throwable cause) {
        return new StunetException(ErrorCode.UNAVAILABLE, "DICOM destination " + destination + " " + what, cause);
    }

    /** The next PDU, which must be of {@code type}; a rejection or abort is the destination's refusal. */
    private Pdu expect(Socket socket, InputStream in, long deadline, int type, String what) throws IOException {
        Pdu p = Pdu.read(socket, in, deadline, MAX_PDU);
        if (p == null) {
            throw unavailable("closed the connection during the " + what, null);
        }
        if (p.type == Pdu.ASSOCIATE_RJ) {
            throw unavailable(p.rejection() + " the association (called AE " + destination.calledAe()
                    + ", calling AE " + callingAe + ")", null);
        }
        if (p.type == Pdu.ABORT) {
            throw unavailable("aborted the association", null);
        }
        if (p.type != type) {
            throw new Pdu.ProtocolException(Pdu.ABORT_UNEXPECTED_PDU, "unexpected PDU type " + p.type);
        }
        return p;
    }

    /** The acceptor's maximum PDU length, once our one presentation context is accepted as proposed. */
    private long accepted(Pdu ac, String sopClass, String syntax) throws IOException {
        Pdu.AssociateAc a = ac.associateAcBody();
        for (Pdu.Answer answer : a.answers()) {
            if (answer.id() == CONTEXT) {
                if (answer.result() == Pdu.Answer.ACCEPTANCE && syntax.equals(answer.transferSyntax())) {
                    return a.maxPduLength();
                }
                throw unavailable(String.format(Locale.ROOT, "does not accept SOP class %s with transfer syntax %s"
                        + " (presentation context result %d)", sopClass, syntax, answer.result()), null);
            }
        }
        throw unavailable("answered without the proposed presentation context", null);
    }

    /** Reassembles the response command ({@code field}) from the P-DATA-TF PDUs that carry it. */
    private CommandSet response(Socket socket, InputStream in, long deadline, int field) throws IOException {
        ByteArrayOutputStream command = new ByteArrayOutputStream();
        while (true) {
            Pdu p = expect(socket, in, deadline, Pdu.P_DATA_TF, "request");
            for (Pdu.Pdv v : p.pdvs()) {
                if (!v.command() || v.contextId() != CONTEXT) {
                    throw new Pdu.ProtocolException(Pdu.ABORT_UNEXPECTED_PDU, "a response carries one command");
                }
                command.write(p.body, v.offset(), v.length());
                if (v.last()) {
                    CommandSet rsp = CommandSet.decode(command.toByteArray());
                    if (rsp.commandField() != field) {
                        throw new Pdu.ProtocolException(Pdu.ABORT_UNEXPECTED_PDU, "not the response to our request");
                    }
                    return rsp;
                }
            }
        }
    }
}
