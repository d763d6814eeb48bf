package io.stunet.ingest.dicom;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

/**
 * A received DICOM object we refuse: unreadable, truncated, of a SOP class or transfer
 * syntax we do not take, or not matching what its request says. Carries the DICOM status
 * (C-STORE response status, STOW-RS FailureReason) next to the {@link ErrorCode}. Messages
 * never contain attribute values, so they may be logged and returned to the sender.
 */
public final class DicomRefusal extends StunetException {
    private final int status;

    public DicomRefusal(int status, String message) {
        super(ErrorCode.INVALID_REQUEST, message);
        this.status = status;
    }

    /** The DICOM status code ({@link io.stunet.dicom.dimse.DicomStatus}). */
    public int status() {
        return status;
    }
}
