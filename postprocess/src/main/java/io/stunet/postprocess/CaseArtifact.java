package io.stunet.postprocess;

import java.util.Objects;

/**
 * One output of a finished case as bytes, and the kind that says where it goes: the blob
 * name under the case's store prefix and the suffix of the file {@code predict}, {@code run}
 * and the outbox write ({@code NAME + suffix}). Writers and stores handle every artifact the
 * same way, so a new output is a new {@link Kind} and one more artifact from
 * {@link CaseFinisher#finish}, and nothing else changes.
 *
 * @param kind  what the bytes are
 * @param bytes the file content, exactly as written
 */
public record CaseArtifact(Kind kind, byte[] bytes) {
    public CaseArtifact {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(bytes, "bytes");
    }

    /** The outputs a case can have, in the order they are written. */
    public enum Kind {
        /** The label mask on the input grid, gzipped NIfTI. */
        MASK("mask.nii.gz", "_seg.nii.gz", "application/gzip"),
        /** Per-class statistics ({@code stunet.stats} JSON). */
        STATS("stats.json", "_stats.json", "application/json"),
        /** Three mid-slices with the labels, PNG (only when the case asks for it). */
        PREVIEW("preview.png", "_preview.png", "image/png"),
        /** The labels as a DICOM Segmentation of the source series (only for DICOM inputs). */
        SEG("seg.dcm", "_seg.dcm", "application/dicom");

        private final String storeName;
        private final String fileSuffix;
        private final String mediaType;

        Kind(String storeName, String fileSuffix, String mediaType) {
            this.storeName = storeName;
            this.fileSuffix = fileSuffix;
            this.mediaType = mediaType;
        }

        /** Blob name under {@code cases/{caseId}/}. */
        public String storeName() {
            return storeName;
        }

        /** What follows the case name in an output file name. */
        public String fileSuffix() {
            return fileSuffix;
        }

        public String mediaType() {
            return mediaType;
        }

        /** The output file name of a case called {@code caseName}. */
        public String fileName(String caseName) {
            return caseName + fileSuffix;
        }
    }
}
