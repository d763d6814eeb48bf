package io.stunet.error;

/**
 * Base of every failure the pipeline raises on purpose. It always carries an
 * {@link ErrorCode}; the message is written for an operator and never contains patient data
 * (no file contents, no header description strings, no patient names from paths).
 * Families of failures subclass it so callers can catch what they can handle.
 */
public class StunetException extends RuntimeException {
    private final ErrorCode code;

    public StunetException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public StunetException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    /** One line for logs and CLI output: {@code CODE: message}. */
    public String summary() {
        return code + ": " + getMessage();
    }
}
