package io.stunet.ingest.dicom;

import io.stunet.config.StunetConfig;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

import java.io.IOException;

/**
 * DICOM input of the ingest service: the {@link SeriesSpool}, the DIMSE storage SCP (when
 * {@code dicom.scp.enabled}) and the STOW-RS routes under {@link #STOW_BASE}, all configured
 * from the {@code dicom.*} keys. Every complete series goes to the {@link SeriesHandoff}
 * given at construction.
 */
public final class DicomIngest implements AutoCloseable {
    /** Base path of the DICOMweb routes (STOW-RS is {@code POST STOW_BASE/studies}). */
    public static final String STOW_BASE = "/v1/dicomweb";

    private final StunetConfig config;
    private final SeriesSpool spool;
    private DimseScp scp;
    private boolean started;

    public DicomIngest(StunetConfig config, SeriesHandoff handoff) {
        this.config = config;
        this.spool = new SeriesSpool(config.getPath(StunetConfig.DICOM_SPOOL_DIR),
                config.getMillis(StunetConfig.DICOM_SERIES_QUIET_MS), handoff);
    }

    /**
     * Starts the spool (resuming a previous process's) and, when enabled, the storage SCP,
     * the first time it is called; mounts the STOW-RS routes on {@code router} every time.
     */
    public synchronized void start(Vertx vertx, Router router) {
        if (!started) {
            try {
                spool.start();
                if (config.getBoolean(StunetConfig.DICOM_SCP_ENABLED)) {
                    DimseScp s = new DimseScp(ScpSettings.from(config), spool);
                    s.start();
                    scp = s;
                }
            } catch (IOException e) {
                spool.close();
                throw new StunetException(ErrorCode.IO_FAILURE, "DICOM receiver did not start: " + e.getClass().getSimpleName(), e);
            }
            started = true;
        }
        new StowRoutes(vertx, spool, config.getLong(StunetConfig.DICOM_STOW_MAX_BYTES),
                config.getBoolean(StunetConfig.DICOM_STOW_REQUEST_ENDS_SERIES)).mount(router, STOW_BASE);
    }

    /** The storage SCP's port, or -1 when it is not running. */
    public synchronized int scpPort() {
        return scp == null ? -1 : scp.port();
    }

    /** Stops the SCP and the spool's sweep; received series stay on disk for the next start. */
    @Override
    public synchronized void close() {
        if (scp != null) {
            scp.close();
            scp = null;
        }
        spool.close();
    }
}
