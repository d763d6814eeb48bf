package io.stunet.ingest.dicom;

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
}
