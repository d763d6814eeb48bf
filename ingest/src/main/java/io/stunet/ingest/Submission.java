package io.stunet.ingest;

import io.stunet.records.CaseStatus;

/**
 * The answer to a submission: the case id and its status. {@code existing} is true when the
 * same scan had been submitted before with the same model and options (the existing case is
 * returned and nothing is published); a new case has the RECEIVED status ingest published.
 */
public record Submission(String caseId, CaseStatus status, boolean existing) {
}
