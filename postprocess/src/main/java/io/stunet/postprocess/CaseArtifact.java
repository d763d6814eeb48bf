package io.stunet.postprocess;

import java.util.Objects;

/**
 * One output of a finished case as bytes, and the kind that says where it goes: the blob
 * name under the case's store prefix and the suffix of the file {@code predict}, {@code run}
 * and the outbox write ({@code NAME + suffix}). Writers and stores handle every artifact the
 * same way ({@link #storeName()}, {@link #fileName(String)}), so a new output is a new
 * {@link Kind} and one more artifact from {@link CaseFinisher#finish}, and nothing else
 * changes. A kind with {@linkplain Kind#hasParts() parts} (one file per class) has several
 * artifacts, told apart by {@code part}, a plain file name appended to the kind's names.
 *
 * @param kind  what the bytes are
 * @param part  the file name within a kind that has parts, else {@code null}
 * @param bytes the file content, exactly as written
 */
public record CaseArtifact(Kind kind, String part, byte[] bytes) {
    public CaseArtifact {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(bytes, "bytes");
        if ((part != null) != kind.hasParts()) {
            throw new IllegalArgumentException(kind + (kind.hasParts() ? " needs" : " has no") + " parts");
        }
        if (part != null && !part.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("artifact part must be a plain file name");
        }
    }

    /** The single artifact of a kind without parts. */
    public CaseArtifact(Kind kind, byte[] bytes) {
        this(kind, null, bytes);
    }

    /** Blob name under {@code cases/{caseId}/}. */
    public String storeName() {
        return part == null ? kind.storeName() : kind.storeName() + part;
    }

    /** The output file name (a relative path for kinds with parts) of a case called {@code caseName}. */
    public String fileName(String caseName) {
        return part == null ? kind.fileName(caseName) : kind.fileName(caseName) + part;
    }

    /** The outputs a case can have, in the order they are written. */
    public enum Kind {
        /** The label mask on the input grid, gzipped NIfTI. */
        MASK("mask.nii.gz", "_seg.nii.gz", "application/gzip"),
        /** Per-class statistics ({@code stunet.stats} JSON). */
        STATS("stats.json", "_stats.json", "application/json"),
        /** Three mid-slices with the labels, PNG (only when the case asks for it). */
        PREVIEW("preview.png", "_preview.png", "image/png"),
        /** The label table and provenance of the mask ({@code stunet.seg} JSON). */
        LABELS("seg.json", "_seg.json", "application/json"),
        /**
         * One binary mask per kept class (only when the case asks for it): parts
         * {@code CLASSNAME.nii.gz}, files {@code NAME_seg/CLASSNAME.nii.gz}.
         */
        CLASS_MASK("classes.", "_seg/", "application/gzip"),
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

        /** Whether a case has several artifacts of this kind, named by their part. */
        public boolean hasParts() {
            return fileSuffix.endsWith("/");
        }

        /** Blob name under {@code cases/{caseId}/}; for a kind with parts, the prefix of the parts' names. */
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

        /** The output file name of a case called {@code caseName}; for a kind with parts, the folder. */
        public String fileName(String caseName) {
            return caseName + fileSuffix;
        }
    }
}
