package io.stunet.error;

/**
 * The input volume cannot be read or used: malformed NIfTI, unsupported datatype or
 * dimensionality, truncated data, or a size beyond the configured limit. Never retriable.
 */
public class InvalidVolumeException extends StunetException {
    public InvalidVolumeException(ErrorCode code, String message) {
        super(code, message);
    }

    public InvalidVolumeException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }
}
