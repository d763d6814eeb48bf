package io.stunet.postprocess.service;

import io.stunet.dicom.dimse.DicomStatus;
import io.stunet.dicom.dimse.StoreScu;
import io.stunet.error.StunetException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Sends each new DICOM SEG to a DIMSE application entity (a PACS) by C-STORE, through the
 * core's storage SCU ({@link StoreScu}): one association per SEG, its bytes unchanged.
 */
public final class CStoreSender implements SegDestination {
    private static final Logger LOG = LoggerFactory.getLogger(CStoreSender.class);

    private final StoreScu scu;

    /**
     * @param destination {@code AE@host:port}
     * @param callingAe   our AE title
     * @param timeout     the longest one send may take, connect to release
     */
    public CStoreSender(String destination, String callingAe, Duration timeout) {
        this.scu = new StoreScu(StoreScu.Destination.parse(destination), callingAe, timeout);
    }

    public StoreScu.Destination destination() {
        return scu.destination();
    }

    @Override
    public String kind() {
        return "dimse";
    }

    @Override
    public String address() {
        return scu.destination().toString();
    }

    /** C-ECHO to the destination. */
    @Override
    public void check() {
        scu.echo();
    }

    @Override
    public void deliver(String caseId, byte[] seg) {
        long started = System.nanoTime();
        StoreScu.Outcome o;
        try {
            o = scu.send(seg);
        } catch (StunetException e) {
            LOG.warn("event=cstore_send_failed case={} target={} code={} message=\"{}\"", caseId, scu.destination(), e.code(),
                    e.getMessage());
            throw e;
        }
        LOG.info("event=cstore_sent case={} target={} status={} bytes={} ms={}", caseId, scu.destination(),
                DicomStatus.hex(o.status()), seg.length, (System.nanoTime() - started) / 1_000_000);
    }
}
