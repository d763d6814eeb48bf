package io.stunet.nifti;

/** The two NIfTI header layouts: NIfTI-1 (348-byte header) and NIfTI-2 (540-byte header). */
public enum NiftiFormat {
    NIFTI1(348, "nifti1"),
    NIFTI2(540, "nifti2");

    private final int headerSize;
    private final String label;

    NiftiFormat(int headerSize, String label) {
        this.headerSize = headerSize;
        this.label = label;
    }

    /** {@code sizeof_hdr}. */
    public int headerSize() {
        return headerSize;
    }

    /** The name {@code inspect --json} reports: {@code "nifti1"} or {@code "nifti2"}. */
    public String label() {
        return label;
    }
}
