package io.stunet.ingest.dicom;

import io.stunet.dicom.dimse.CommandSet;
import io.stunet.dicom.dimse.DicomStatus;
import io.stunet.dicom.dimse.DicomUids;
import io.stunet.dicom.dimse.Pdu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One association with a storage SCU, served on its own thread from the A-ASSOCIATE-RQ to
 * the release or abort (PS3.8 acceptor state machine, reduced to what an acceptor that never
 * initiates needs). Negotiates presentation contexts, reassembles DIMSE messages from PDV
 * fragments (data sets go to a temporary file, never whole into memory), answers C-ECHO and
 * C-STORE, and aborts on protocol errors or when the peer is silent past the idle timeout.
 */
final class Association implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Association.class);
    /** Our maximum PDU length (advertised in the A-ASSOCIATE-AC and enforced on every PDU received). */
    static final int MAX_PDU = 256 * 1024;
    private static final int MAX_COMMAND = 64 * 1024;

    private record Context(String abstractSyntax, String transferSyntax) {
    }

    private final Socket socket;
    private final ScpSettings settings;
    private final SeriesSpool spool;
    private final boolean overLimit;
    private final long idleNanos;
    private final Map<Integer, Context> contexts = new HashMap<>();
    private final Set<String> touchedSeries = new LinkedHashSet<>();
    private InputStream in;
    private OutputStream out;
    private String callingAe;
    private long peerMax;
    private int stored;
    private int refused;

    private final ByteArrayOutputStream commandBuf = new ByteArrayOutputStream();
    private CommandSet command;
    private int messageContext = -1;
    private Path datasetFile;
    private FileChannel dataset;

    /** @param overLimit the SCP already serves its maximum: answer with a transient rejection */
    Association(Socket socket, ScpSettings settings, SeriesSpool spool, boolean overLimit) {
        this.socket = socket;
        this.settings = settings;
        this.spool = spool;
        this.overLimit = overLimit;
        this.idleNanos = settings.idleTimeout().toNanos();
    }

    @Override
    public void run() {
        try (socket) {
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            if (negotiate()) {
                serve();
            }
        } catch (SocketTimeoutException e) {
            LOG.warn("event=dicom_association_timeout calling_ae={} idle_ms={}", callingAe, settings.idleTimeout().toMillis());
            sendQuietly(Pdu.abort(Pdu.ABORT_REASON_NOT_SPECIFIED));
        } catch (Pdu.ProtocolException e) {
            LOG.warn("event=dicom_association_aborted calling_ae={} reason=\"{}\"", callingAe, e.getMessage());
            sendQuietly(Pdu.abort(e.reason));
        } catch (IOException e) {
            LOG.warn("event=dicom_association_failed calling_ae={} error={}", callingAe, e.getClass().getSimpleName());
        } finally {
            discardDataset();
        }
    }

    /** Reads the A-ASSOCIATE-RQ and accepts or rejects it; true when accepted. */
    private boolean negotiate() throws IOException {
        Pdu p = Pdu.read(socket, in, System.nanoTime() + idleNanos, MAX_PDU);
        if (p == null) {
            return false;
        }
        if (p.type != Pdu.ASSOCIATE_RQ) {
            throw new Pdu.ProtocolException(Pdu.ABORT_UNEXPECTED_PDU, "expected A-ASSOCIATE-RQ, got PDU type " + p.type);
        }
        Pdu.AssociateRq rq = p.associateRq();
        callingAe = rq.callingAe();
        if (!DicomUids.APPLICATION_CONTEXT.equals(rq.applicationContext())) {
            return reject(1, 1, 2, "application context not supported");
        }
        if (!settings.aeTitle().equals(rq.calledAe())) {
            return reject(1, 1, 7, "called AE title not recognized");
        }
        if (overLimit) {
            return reject(2, 3, 2, "local limit of associations reached");
        }
        List<Pdu.Answer> answers = new ArrayList<>();
        for (Pdu.Proposed pc : rq.contexts()) {
            answers.add(answer(pc));
        }
        peerMax = rq.maxPduLength();
        send(Pdu.associateAc(rq, answers, MAX_PDU));
        long accepted = answers.stream().filter(a -> a.result() == Pdu.Answer.ACCEPTANCE).count();
        LOG.info("event=dicom_association_accepted calling_ae={} contexts_proposed={} contexts_accepted={} peer_max_pdu={}",
                callingAe, answers.size(), accepted, peerMax);
        return true;
    }

    private Pdu.Answer answer(Pdu.Proposed pc) {
        String first = pc.transferSyntaxes().isEmpty() ? DicomUids.IMPLICIT_VR_LE : pc.transferSyntaxes().get(0);
        java.util.Collection<String> ours;
        if (DicomUids.STORAGE_CLASSES.contains(pc.abstractSyntax())) {
            ours = DicomUids.STORAGE_TRANSFER_SYNTAXES;
        } else if (DicomUids.VERIFICATION.equals(pc.abstractSyntax())) {
            ours = DicomUids.VERIFICATION_TRANSFER_SYNTAXES;
        } else {
            return new Pdu.Answer(pc.id(), Pdu.Answer.ABSTRACT_SYNTAX_NOT_SUPPORTED, first);
        }
        for (String ts : pc.transferSyntaxes()) {
            if (ours.contains(ts)) {
                contexts.put(pc.id(), new Context(pc.abstractSyntax(), ts));
                return new Pdu.Answer(pc.id(), Pdu.Answer.ACCEPTANCE, ts);
            }
        }
        return new Pdu.Answer(pc.id(), Pdu.Answer.TRANSFER_SYNTAXES_NOT_SUPPORTED, first);
    }

    private boolean reject(int result, int source, int reason, String why) throws IOException {
        LOG.warn("event=dicom_association_rejected calling_ae={} reason=\"{}\"", callingAe, why);
        send(Pdu.associateRj(result, source, reason));
        // The requestor closes the connection; wait for that (bounded) rather than reset it.
        awaitClose();
        return false;
    }

    private void serve() throws IOException {
        while (true) {
            Pdu p = Pdu.read(socket, in, System.nanoTime() + idleNanos, MAX_PDU);
            if (p == null) {
                LOG.warn("event=dicom_association_dropped calling_ae={} stored={} refused={}", callingAe, stored, refused);
                return;
            }
            switch (p.type) {
                case Pdu.P_DATA_TF -> pData(p);
                case Pdu.RELEASE_RQ -> {
                    if (command != null) {
                        throw new Pdu.ProtocolException(Pdu.ABORT_UNEXPECTED_PDU, "release inside a DIMSE message");
                    }
                    send(Pdu.releaseRp());
                    LOG.info("event=dicom_association_released calling_ae={} stored={} refused={} series={}", callingAe,
                            stored, refused, touchedSeries.size());
                    if (settings.releaseEndsSeries()) {
                        touchedSeries.forEach(spool::endSeries);
                    }
                    awaitClose();
                    return;
                }
                case Pdu.ABORT -> {
                    LOG.warn("event=dicom_association_aborted_by_peer calling_ae={} stored={} refused={}", callingAe, stored,
                            refused);
                    return;
                }
                default -> throw new Pdu.ProtocolException(Pdu.ABORT_UNEXPECTED_PDU, "unexpected PDU type " + p.type);
            }
        }
    }

    private void pData(Pdu p) throws IOException {
        for (Pdu.Pdv v : p.pdvs()) {
            if (!contexts.containsKey(v.contextId())) {
                throw new Pdu.ProtocolException(Pdu.ABORT_INVALID_PARAMETER, "PDV on a presentation context not accepted");
            }
            if (v.command()) {
                commandFragment(v.contextId(), p.body, v.offset(), v.length(), v.last());
            } else {
                datasetFragment(v.contextId(), p.body, v.offset(), v.length(), v.last());
            }
        }
    }

    private void commandFragment(int pcid, byte[] body, int off, int n, boolean last) throws IOException {
        if (command != null || (messageContext >= 0 && messageContext != pcid)) {
            throw new Pdu.ProtocolException(Pdu.ABORT_UNEXPECTED_PDU, "command fragment out of sequence");
        }
        if (commandBuf.size() + n > MAX_COMMAND) {
            throw new Pdu.ProtocolException(Pdu.ABORT_INVALID_PARAMETER, "DIMSE command longer than " + MAX_COMMAND);
        }
        messageContext = pcid;
        commandBuf.write(body, off, n);
        if (!last) {
            return;
        }
        command = CommandSet.decode(commandBuf.toByteArray());
        commandBuf.reset();
        if (!command.hasDataset()) {
            dispatch();
        } else if (command.commandField() == CommandSet.C_STORE_RQ) {
            datasetFile = Files.createTempFile(spool.tmpDir(), "dimse-", ".part");
            dataset = FileChannel.open(datasetFile, StandardOpenOption.WRITE);
        }
    }

    private void datasetFragment(int pcid, byte[] body, int off, int n, boolean last) throws IOException {
        if (command == null || !command.hasDataset() || pcid != messageContext) {
            throw new Pdu.ProtocolException(Pdu.ABORT_UNEXPECTED_PDU, "data fragment without its command");
        }
        if (dataset != null) {
            ByteBuffer chunk = ByteBuffer.wrap(body, off, n);
            while (chunk.hasRemaining()) {
                dataset.write(chunk);
            }
        }
        if (last) {
            if (dataset != null) {
                dataset.close();
                dataset = null;
            }
            dispatch();
        }
    }

    /** Answers the complete message in {@link #command} (data set, if any, in {@link #datasetFile}). */
    private void dispatch() throws IOException {
        CommandSet rq = command;
        Context ctx = contexts.get(messageContext);
        int field = rq.commandField();
        CommandSet rsp;
        if (field == CommandSet.C_ECHO_RQ) {
            rsp = CommandSet.response(rq, DicomStatus.SUCCESS);
        } else if (field == CommandSet.C_STORE_RQ && datasetFile != null) {
            rsp = store(rq, ctx);
        } else {
            rsp = CommandSet.response(rq, DicomStatus.UNRECOGNIZED_OPERATION);
        }
        int pcid = messageContext;
        discardDataset();
        command = null;
        messageContext = -1;
        Pdu.writePData(out, pcid, true, rsp.encode(), peerMax);
    }

    private CommandSet store(CommandSet rq, Context ctx) {
        String sopClass = rq.uid(CommandSet.AFFECTED_SOP_CLASS);
        String sopInstance = rq.uid(CommandSet.AFFECTED_SOP_INSTANCE);
        long bytes = 0;
        String series = null;
        int status;
        String comment = null;
        try {
            bytes = Files.size(datasetFile);
            if (sopClass == null || !DicomUids.STORAGE_CLASSES.contains(sopClass) || !sopClass.equals(ctx.abstractSyntax())) {
                throw new DicomRefusal(DicomStatus.SOP_CLASS_NOT_SUPPORTED,
                        "SOP class is not the one negotiated for the presentation context");
            }
            InstanceKeys keys = InstanceKeys.of(Files.readAllBytes(datasetFile), ctx.transferSyntax());
            if (!keys.sopClassUid().equals(sopClass)) {
                throw new DicomRefusal(DicomStatus.DATASET_MISMATCH, "data set SOP class differs from the request's");
            }
            if (!keys.sopInstanceUid().equals(sopInstance)) {
                throw new DicomRefusal(DicomStatus.DATASET_MISMATCH, "data set SOP instance differs from the request's");
            }
            series = keys.seriesKey();
            Path source = datasetFile;
            spool.store(keys, ctx.transferSyntax(), callingAe, o -> Files.copy(source, o));
            touchedSeries.add(series);
            status = DicomStatus.SUCCESS;
            stored++;
        } catch (DicomRefusal r) {
            status = r.status();
            comment = r.getMessage();
            refused++;
        } catch (IOException e) {
            status = DicomStatus.OUT_OF_RESOURCES;
            comment = "instance could not be spooled";
            refused++;
        }
        if (status == DicomStatus.SUCCESS) {
            LOG.info("event=dicom_instance_stored via=dimse sop_class={} transfer_syntax={} bytes={} series={}", sopClass,
                    ctx.transferSyntax(), bytes, series);
        } else {
            LOG.warn("event=dicom_instance_refused via=dimse sop_class={} transfer_syntax={} bytes={} status={} reason=\"{}\"",
                    sopClass, ctx.transferSyntax(), bytes, DicomStatus.hex(status), comment);
        }
        CommandSet rsp = CommandSet.response(rq, status);
        if (comment != null) {
            rsp.putText(CommandSet.ERROR_COMMENT, comment);
        }
        return rsp;
    }

    private void discardDataset() {
        try {
            if (dataset != null) {
                dataset.close();
            }
            if (datasetFile != null) {
                Files.deleteIfExists(datasetFile);
            }
        } catch (IOException e) {
            LOG.warn("event=dicom_tmp_cleanup_failed error={}", e.getClass().getSimpleName());
        }
        dataset = null;
        datasetFile = null;
    }

    /** Waits (at most the idle timeout) for the peer to close after a rejection or release. */
    private void awaitClose() throws IOException {
        long deadline = System.nanoTime() + idleNanos;
        byte[] sink = new byte[512];
        try {
            while (System.nanoTime() < deadline) {
                socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                if (in.read(sink) < 0) {
                    return;
                }
            }
        } catch (SocketTimeoutException e) {
            // The peer kept the connection open; closing it ourselves ends the association.
        }
    }

    private void send(byte[] pdu) throws IOException {
        out.write(pdu);
        out.flush();
    }

    private void sendQuietly(byte[] pdu) {
        try {
            send(pdu);
        } catch (IOException | RuntimeException e) {
            // The connection is already gone; there is nobody to tell.
        }
    }
}
