package io.stunet.records;

import io.stunet.error.ErrorCode;

import java.util.Base64;
import java.util.Objects;

/**
 * A record a stage could not process, published on {@code stunet.dlq} with everything an
 * operator needs to inspect or replay it: the original bytes (base64, exactly as consumed),
 * where they came from, which stage failed, and the error code and message.
 *
 * @param caseId         case of the record, {@code null} when it could not be told
 * @param originalKey    key of the original record (may be {@code null})
 * @param originalValueBase64 the original value bytes, base64
 * @param attempts       how many times the stage tried the record
 * @param failedAtMillis epoch milliseconds
 */
public record DeadLetter(String caseId, String originalTopic, int originalPartition, long originalOffset,
                         String originalKey, String originalValueBase64, String stage, ErrorCode errorCode,
                         String errorMessage, int attempts, long failedAtMillis) implements StunetRecord {
    public DeadLetter {
        Objects.requireNonNull(originalTopic, "originalTopic");
        Objects.requireNonNull(originalValueBase64, "originalValueBase64");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(errorCode, "errorCode");
    }

    /** The original record value, decoded from base64. */
    public byte[] originalValue() {
        return Base64.getDecoder().decode(originalValueBase64);
    }
}
