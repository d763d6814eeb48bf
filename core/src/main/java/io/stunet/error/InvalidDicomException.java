package io.stunet.error;

/**
 * A DICOM object or series that cannot be used: malformed or truncated bytes
 * ({@link ErrorCode#INVALID_DICOM}), a transfer syntax we do not decode
 * ({@link ErrorCode#UNSUPPORTED_TRANSFER_SYNTAX}) or instances that do not form one volume
 * ({@link ErrorCode#INVALID_SERIES}). Never retriable; messages name tags and counts, never
 * attribute values (they may identify the patient).
 */
public class InvalidDicomException extends StunetException {
    public InvalidDicomException(ErrorCode code, String message) {
        super(code, message);
    }

    public InvalidDicomException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }
}
