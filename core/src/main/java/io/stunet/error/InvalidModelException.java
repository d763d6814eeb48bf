package io.stunet.error;

/** A model directory, model card or checkpoint is missing, malformed or inconsistent. */
public class InvalidModelException extends StunetException {
    public InvalidModelException(String message) {
        super(ErrorCode.INVALID_MODEL, message);
    }

    public InvalidModelException(String message, Throwable cause) {
        super(ErrorCode.INVALID_MODEL, message, cause);
    }
}
