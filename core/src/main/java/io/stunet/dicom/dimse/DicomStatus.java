package io.stunet.dicom.dimse;

/**
 * DIMSE status codes (PS3.7 Annex C) the receiver answers with (STOW-RS reports the same
 * values as FailureReason, PS3.18), and how a sender reads an answer.
 */
public final class DicomStatus {
    private DicomStatus() {
    }

    public static final int SUCCESS = 0x0000;
    /** The SOP class is not one we store, or not the one negotiated for the presentation context. */
    public static final int SOP_CLASS_NOT_SUPPORTED = 0x0122;
    /** The DIMSE operation is not supported on this association. */
    public static final int UNRECOGNIZED_OPERATION = 0x0211;
    /** The object could not be written (spool I/O failure). */
    public static final int OUT_OF_RESOURCES = 0xA700;
    /** The data set does not match the SOP class or instance named in the request. */
    public static final int DATASET_MISMATCH = 0xA900;
    /** The data set cannot be parsed, or lacks the identifying attributes. */
    public static final int CANNOT_UNDERSTAND = 0xC000;

    /** Success, or a warning (0001, Bxxx): the object was stored. Anything else is a failure. */
    public static boolean stored(int status) {
        return status == SUCCESS || status == 0x0001 || (status & 0xF000) == 0xB000;
    }

    /** Four hex digits, as DICOM tools print statuses. */
    public static String hex(int status) {
        return String.format("0x%04X", status);
    }
}
