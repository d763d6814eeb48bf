package io.stunet.records;

import io.stunet.error.ErrorCode;

import java.util.Objects;

/**
 * The latest known state of a case, published on the compacted topic
 * {@code stunet.case.status} keyed by case id, so the topic is a table of every case's state.
 *
 * @param progress     fraction done in {@code [0, 1]}
 * @param errorCode    set only when {@code state == FAILED}
 * @param errorMessage operator-facing reason (no patient data), set with {@code errorCode}
 * @param stage        the stage that published this status
 * @param updatedAtMillis epoch milliseconds
 */
public record CaseStatus(String caseId, CaseState state, double progress, ErrorCode errorCode,
                         String errorMessage, String stage, long updatedAtMillis) implements StunetRecord {
    public CaseStatus {
        Objects.requireNonNull(caseId, "caseId");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(stage, "stage");
        if (!(progress >= 0.0 && progress <= 1.0)) {
            throw new IllegalArgumentException("progress must be in [0, 1]");
        }
        if ((state == CaseState.FAILED) != (errorCode != null)) {
            throw new IllegalArgumentException("errorCode is set exactly when the state is FAILED");
        }
    }

    public static CaseStatus of(String caseId, CaseState state, double progress, String stage) {
        return new CaseStatus(caseId, state, progress, null, null, stage, System.currentTimeMillis());
    }

    public static CaseStatus failed(String caseId, ErrorCode code, String message, String stage) {
        return new CaseStatus(caseId, CaseState.FAILED, 1.0, code, message, stage, System.currentTimeMillis());
    }
}
