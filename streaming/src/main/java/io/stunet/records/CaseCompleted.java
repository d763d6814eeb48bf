package io.stunet.records;

import java.util.Objects;

/**
 * A case is done: its mask and statistics are in the store. Published once per case by
 * postprocess on {@code stunet.case.completed}, keyed by case id.
 *
 * @param inputName file name the outputs are named after (never logged)
 * @param completedAtMillis epoch milliseconds
 */
public record CaseCompleted(String caseId, String inputName, BlobRef mask, BlobRef stats,
                            int slabCount, long completedAtMillis) implements StunetRecord {
    public CaseCompleted {
        Objects.requireNonNull(caseId, "caseId");
        Objects.requireNonNull(inputName, "inputName");
        Objects.requireNonNull(mask, "mask");
        Objects.requireNonNull(stats, "stats");
    }
}
