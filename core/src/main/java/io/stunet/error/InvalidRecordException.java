package io.stunet.error;

/**
 * A Kafka record that cannot be used: not JSON, an unknown schema or version, or fields that
 * violate the record's invariants. Never retriable: the same bytes fail the same way.
 */
public class InvalidRecordException extends StunetException {
    public InvalidRecordException(String message) {
        super(ErrorCode.INVALID_RECORD, message);
    }

    public InvalidRecordException(String message, Throwable cause) {
        super(ErrorCode.INVALID_RECORD, message, cause);
    }
}
