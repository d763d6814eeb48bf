package io.stunet.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.records.BlobRef;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code preprocessed.json} blob of a case: what preprocess decided and what the later
 * stages need without going back to the submission record. Infer reads the volume layout;
 * postprocess reads the properties (to export labels to the input grid), the input blob (its
 * header and intensities for the mask file and statistics), the output name, the options
 * (export mode, preview, classes) and the input's checksum and submission time (provenance).
 *
 * @param properties  the inverse-preprocessing contract of the preprocess module
 * @param input       the uploaded NIfTI
 * @param inputName   name the outputs are called after (may carry patient data: never logged)
 * @param modelSha256 model the case is segmented with
 * @param options     the case options from the submission ({@link CaseOptions})
 * @param slabCount   number of z-slabs the case was split into
 * @param submittedAtMillis when ingest received the case (epoch ms; 0 in manifests that predate
 *                    the field), the start time in the outputs' provenance
 */
public record CaseManifest(int schemaVersion, PreprocessingProperties properties, BlobRef input, String inputName,
                           String modelSha256, Map<String, String> options, int slabCount, long submittedAtMillis) {
    public static final int SCHEMA_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public CaseManifest {
        Objects.requireNonNull(properties, "properties");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(inputName, "inputName");
        Objects.requireNonNull(modelSha256, "modelSha256");
        options = options == null ? Map.of() : Map.copyOf(options);
        if (schemaVersion != SCHEMA_VERSION) {
            throw new IllegalArgumentException("unsupported case manifest version " + schemaVersion);
        }
        if (slabCount < 1) {
            throw new IllegalArgumentException("slabCount must be >= 1");
        }
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new StunetException(ErrorCode.INTERNAL, "cannot encode case manifest", e);
        }
    }

    /** Parses the blob; {@code BLOB_CORRUPT} when it is not a manifest of this version. */
    public static CaseManifest fromJson(byte[] json) {
        try {
            return JSON.readValue(json, CaseManifest.class);
        } catch (IOException | RuntimeException e) {
            throw new StunetException(ErrorCode.BLOB_CORRUPT, "preprocessed.json is not a case manifest");
        }
    }
}
