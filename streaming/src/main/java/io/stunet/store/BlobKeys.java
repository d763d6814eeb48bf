package io.stunet.store;

import io.stunet.records.CaseIds;

/**
 * The blob layout of a case (docs/design.md, "Blob store"). Keys are deterministic in the case id
 * and slab index, so a redelivered record rewrites the same key with the same bytes instead
 * of creating a second copy.
 */
public final class BlobKeys {
    private BlobKeys() {
    }

    /** {@code cases/{caseId}/}: everything of one case. */
    public static String casePrefix(String caseId) {
        if (!CaseIds.isValid(caseId)) {
            throw new StoreException(io.stunet.error.ErrorCode.INVALID_REQUEST, "not a case id");
        }
        return "cases/" + caseId + "/";
    }

    /** The uploaded NIfTI as received. */
    public static String input(String caseId) {
        return casePrefix(caseId) + "input.nii.gz";
    }

    /**
     * Ingest's mark that the case's {@code CaseSubmitted} is on its topic (the record, as JSON),
     * written after the publish succeeded. A case whose latest status is RECEIVED without this
     * mark was never handed to preprocess (ingest stopped between the two), so a new submission
     * of it publishes it again instead of returning it as existing.
     */
    public static String submitted(String caseId) {
        return casePrefix(caseId) + "submitted.json";
    }

    /**
     * The source DICOM series of a case whose input was a series ({@code stunet.dicom-series}
     * JSON: UIDs, grid, patient/study module); absent for NIfTI inputs. It holds patient data,
     * which is why it lives here and never in a record.
     */
    public static String dicomSeries(String caseId) {
        return casePrefix(caseId) + "dicom.json";
    }

    /** Raw little-endian float32, C order {@code (c, z, y, x)}. */
    public static String preprocessedVolume(String caseId) {
        return casePrefix(caseId) + "preprocessed.f32";
    }

    /** Everything export needs to map labels back to the input grid. */
    public static String preprocessedProperties(String caseId) {
        return casePrefix(caseId) + "preprocessed.json";
    }

    /** {@code cases/{caseId}/slabs/}: the prefix to list the finished slabs of a case. */
    public static String slabPrefix(String caseId) {
        return casePrefix(caseId) + "slabs/";
    }

    /** Compressed labels of one slab. */
    public static String slabLabels(String caseId, int slab) {
        if (slab < 0) {
            throw new IllegalArgumentException("slab must be >= 0");
        }
        return slabPrefix(caseId) + slab + ".labels";
    }

    /** The slab index of a key made by {@link #slabLabels}, or -1 for any other key. */
    public static int slabOf(String key) {
        int slash = key.lastIndexOf('/');
        if (slash < 0 || !key.endsWith(".labels") || !key.substring(0, slash + 1).endsWith("/slabs/")) {
            return -1;
        }
        String n = key.substring(slash + 1, key.length() - ".labels".length());
        return n.matches("\\d{1,9}") ? Integer.parseInt(n) : -1;
    }

    /** A final output of a case, {@code cases/{caseId}/{name}}; {@code name} is a plain file name. */
    public static String output(String caseId, String name) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("output name must be a plain file name");
        }
        return casePrefix(caseId) + name;
    }

    /** The final mask on the input grid. */
    public static String mask(String caseId) {
        return output(caseId, "mask.nii.gz");
    }

    /** Per-class statistics. */
    public static String stats(String caseId) {
        return output(caseId, "stats.json");
    }

    /** Optional preview image (three mid-slices with the labels). */
    public static String preview(String caseId) {
        return output(caseId, "preview.png");
    }
}
