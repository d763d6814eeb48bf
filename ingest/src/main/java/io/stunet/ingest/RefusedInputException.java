package io.stunet.ingest;

import io.stunet.error.StunetException;

/**
 * An input ingest refused because it is not a usable NIfTI file. It carries the case id the
 * input was recorded under (dead letter + FAILED status), so the client can look it up.
 */
public final class RefusedInputException extends StunetException {
    private final String caseId;

    public RefusedInputException(String caseId, StunetException cause) {
        super(cause.code(), cause.getMessage(), cause);
        this.caseId = caseId;
    }

    public String caseId() {
        return caseId;
    }
}
