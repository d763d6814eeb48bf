package io.stunet.ingest.dicom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a complete series goes: the receiver calls {@link #seriesComplete} once per
 * completed series, on the spool's own thread, with a directory that from then on belongs to
 * the handoff (it may read, move or delete it). A series left in the spool's
 * {@code complete/} directory is handed over again after a restart, so an implementation
 * must be idempotent (case submission is: case ids derive from content). A handoff that
 * throws leaves the directory where it is, for the next start.
 */
@FunctionalInterface
public interface SeriesHandoff {

    void seriesComplete(CompletedSeries series) throws Exception;

    /**
     * Logs the series and leaves its directory in the spool's {@code complete/} directory:
     * the handoff of a receiver not connected to case submission.
     */
    static SeriesHandoff retain() {
        Logger log = LoggerFactory.getLogger(SeriesHandoff.class);
        return s -> log.info("event=dicom_series_retained series={} instances={} reason={}", s.seriesKey(), s.instances(),
                s.reason().name().toLowerCase());
    }
}
