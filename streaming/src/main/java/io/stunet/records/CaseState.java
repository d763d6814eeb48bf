package io.stunet.records;

/** Where a case is in the pipeline. {@link #COMPLETED} and {@link #FAILED} are final. */
public enum CaseState {
    RECEIVED, PREPROCESSING, INFERRING, POSTPROCESSING, COMPLETED, FAILED;

    public boolean isFinal() {
        return this == COMPLETED || this == FAILED;
    }
}
