package io.stunet.error;

/**
 * Stable identifiers for every failure the pipeline reports. The name is what ends up in
 * dead-letter records, case status records, CLI messages and metrics labels, so a code is
 * never renamed once released. {@link #retriable()} tells a consumer whether reprocessing
 * the same record later can succeed (a broker or store hiccup) or never will (bad input).
 */
public enum ErrorCode {
    /** The bytes are not a readable NIfTI-1/NIfTI-2 file (magic, sizeof_hdr, dims, offsets). */
    INVALID_NIFTI(false),
    /** A NIfTI datatype we do not read or write (complex, RGB, float128, ...). */
    UNSUPPORTED_DATATYPE(false),
    /** The declared voxel count exceeds the configured limit; refused before allocating. */
    VOLUME_TOO_LARGE(false),
    /** The file ends before the declared voxel data does (or a gzip stream is cut). */
    TRUNCATED_DATA(false),
    /** Valid NIfTI whose dimensionality the segmentation path cannot take (e.g. 4-D with t > 1). */
    UNSUPPORTED_DIMENSIONS(false),
    /** Geometry that cannot be used: singular affine, non-positive or non-finite spacing. */
    INVALID_GEOMETRY(false),
    /** The bytes are not a readable DICOM object (no DICM prefix, bad element header, truncated, wrong SOP class). */
    INVALID_DICOM(false),
    /** A DICOM transfer syntax whose pixel data (or dataset encoding) we do not decode (big endian, JPEG baseline, JPEG 2000, ...). */
    UNSUPPORTED_TRANSFER_SYNTAX(false),
    /** DICOM instances that do not form one volume: gantry tilt, uneven spacing, mixed sizes or orientations, missing positions. */
    INVALID_SERIES(false),
    /** A model directory, model.json or checkpoint that is missing, malformed or inconsistent. */
    INVALID_MODEL(false),
    /** The inference engine failed to load a model or run a forward pass. */
    ENGINE_FAILURE(true),
    /** A request (HTTP, CLI option, record) that is malformed or not allowed. */
    INVALID_REQUEST(false),
    /** A record that does not parse, names an unknown schema, or lacks or breaks a field. */
    INVALID_RECORD(false),
    /**
     * A well-formed record of a schema MAJOR version this build does not read (a producer
     * of a newer release during a rolling upgrade); replay it from the dead letters once the
     * consumers are upgraded.
     */
    UNSUPPORTED_RECORD_VERSION(false),
    /** A configuration file, key or value that is missing, unknown or out of range. */
    INVALID_CONFIG(false),
    /** The message broker refused or failed a produce, commit or admin call. */
    BROKER_FAILURE(true),
    /** The claim-check store could not read or write a blob. */
    STORE_FAILURE(true),
    /** A blob is missing or its checksum does not match the record that points to it. */
    BLOB_CORRUPT(false),
    /** Local file-system failure while reading inputs or writing outputs. */
    IO_FAILURE(true),
    /**
     * The stage instance is shutting down (its worker pool or engine is closed; another
     * instance retries), or a destination it delivers to (a STOW-RS receiver) refused,
     * failed or did not answer in time.
     */
    UNAVAILABLE(true),
    /** An API request without the configured bearer token, or with a different one. */
    UNAUTHORIZED(false),
    /** The case (or its result) does not exist, or does not exist yet. */
    NOT_FOUND(false),
    /** A request body larger than the configured limit. */
    PAYLOAD_TOO_LARGE(false),
    /** An invariant of our own code was violated; always a bug. */
    INTERNAL(false);

    private final boolean retriable;

    ErrorCode(boolean retriable) {
        this.retriable = retriable;
    }

    /** Whether processing the same input again later may succeed. */
    public boolean retriable() {
        return retriable;
    }
}
