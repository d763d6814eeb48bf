package io.stunet.ingest.dicom;

import java.nio.file.Path;

/**
 * A series handed over by the {@link SeriesSpool}: its directory of Part 10 files (one per
 * SOP instance, named by a hash of the instance UID), the hashed series key, how many
 * instance files it holds, and why it was deemed complete.
 */
public record CompletedSeries(Path dir, String seriesKey, int instances, Reason reason) {

    /** Why a series was closed. */
    public enum Reason {
        /** No new instance arrived for the quiet period. */
        QUIET,
        /** The sender ended it (association release or STOW-RS request, when configured). */
        EXPLICIT,
        /** Found complete in the spool at start-up (handed over before a restart, or not yet taken). */
        RECOVERED
    }
}
