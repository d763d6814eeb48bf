package io.stunet.ingest.dicom;

import io.stunet.dicom.dimse.DicomStatus;
import io.stunet.dicom.dimse.DicomUids;
import io.stunet.dicom.DicomDataset;
import io.stunet.dicom.DicomReader;
import io.stunet.dicom.Tag;
import io.stunet.error.InvalidDicomException;
import io.stunet.store.Digests;

import java.nio.charset.StandardCharsets;

/**
 * The attributes that place a received instance: its SOP class and instance UIDs and the
 * study and series it belongs to. The UIDs may identify a patient's examination, so they go
 * into files and DICOM answers but never into logs; logs use {@link #seriesKey()}.
 */
public record InstanceKeys(String sopClassUid, String sopInstanceUid, String studyUid, String seriesUid) {

    /**
     * The keys of a received data set (no file meta) in {@code transferSyntax}, parsed whole
     * by the core codec ({@link DicomReader}), so a truncated or structurally broken data set
     * is refused before it is spooled.
     *
     * @throws DicomRefusal {@link DicomStatus#CANNOT_UNDERSTAND} when the transfer syntax is not
     *                      one we accept, the data set does not parse, or an identifying UID
     *                      is missing or not a UID
     */
    public static InstanceKeys of(byte[] dataset, String transferSyntax) {
        if (!DicomUids.STORAGE_TRANSFER_SYNTAXES.contains(transferSyntax)) {
            throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "transfer syntax not accepted");
        }
        DicomDataset ds;
        try {
            ds = DicomReader.readDataset(dataset, transferSyntax).dataset();
        } catch (InvalidDicomException e) {
            throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, e.getMessage());
        }
        return new InstanceKeys(uid(ds, Tag.SOPClassUID, "SOPClassUID"), uid(ds, Tag.SOPInstanceUID, "SOPInstanceUID"),
                uid(ds, Tag.StudyInstanceUID, "StudyInstanceUID"), uid(ds, Tag.SeriesInstanceUID, "SeriesInstanceUID"));
    }

    private static String uid(DicomDataset ds, int tag, String name) {
        String v = ds.getString(tag);
        if (v == null || v.isEmpty()) {
            throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "data set has no " + name);
        }
        if (!v.matches("[0-9.]{1,64}")) {
            throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "a UID attribute holds other characters than digits and dots");
        }
        return v;
    }

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
