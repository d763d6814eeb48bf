package io.stunet.ingest.dicom;

import io.stunet.store.Digests;

import java.nio.charset.StandardCharsets;

/**
 * The attributes that place a received instance: its SOP class and instance UIDs and the
 * study and series it belongs to. The UIDs may identify a patient's examination, so they go
 * into files and DICOM answers but never into logs; logs use {@link #seriesKey()}.
 */
public record InstanceKeys(String sopClassUid, String sopInstanceUid, String studyUid, String seriesUid) {

    /** A hash of (study, series): the series' spool directory name and its name in logs. */
    public String seriesKey() {
        return hash(studyUid + "\\" + seriesUid, 20);
    }

    /** A hash of the SOP instance UID: the instance's file name in its series directory. */
    public String instanceFileName() {
        return hash(sopInstanceUid, 32) + ".dcm";
    }

    private static String hash(String s, int hexChars) {
        return Digests.sha256Hex(s.getBytes(StandardCharsets.US_ASCII)).substring(0, hexChars);
    }
}
