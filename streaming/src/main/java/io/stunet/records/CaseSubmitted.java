package io.stunet.records;

import java.util.Map;
import java.util.Objects;

/**
 * A case entered the pipeline: the input volume is in the store and preprocessing may start.
 * Published by ingest on {@code stunet.case.submitted}, keyed by case id.
 *
 * @param caseId      derived by {@link CaseIds#derive}; resubmitting the same scan gives the same id
 * @param input       the uploaded NIfTI ({@code cases/{caseId}/input.nii.gz})
 * @param inputName   file name used for outputs (never logged: it may carry patient data)
 * @param modelSha256 SHA-256 of the model file the case is to be segmented with
 * @param options     processing options that took part in the case id (sorted on the wire)
 * @param submittedAtMillis epoch milliseconds when ingest accepted the case
 */
public record CaseSubmitted(String caseId, BlobRef input, String inputName, String modelSha256,
                            Map<String, String> options, long submittedAtMillis) implements StunetRecord {
    public CaseSubmitted {
        Objects.requireNonNull(caseId, "caseId");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(inputName, "inputName");
        Objects.requireNonNull(modelSha256, "modelSha256");
        options = options == null ? Map.of() : Map.copyOf(options);
    }
}
