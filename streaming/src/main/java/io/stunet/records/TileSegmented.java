package io.stunet.records;

import java.util.Objects;

/**
 * The labels of one slab are in the store ({@code cases/{caseId}/slabs/{slab}.labels}).
 * Published by infer on {@code stunet.tile.segmented}, keyed {@code caseId/slab}; postprocess
 * assembles the case once every slab of it exists.
 *
 * @param zStart  first output plane of the slab in the preprocessed grid
 * @param zEnd    one past the last output plane
 * @param device  the device that ran the slab ({@code cpu}, {@code gpu0}, ...), for the timeline
 * @param inferMillis wall time the slab spent on the device
 */
public record TileSegmented(String caseId, int slab, int slabCount, int zStart, int zEnd,
                            BlobRef labels, String device, long inferMillis) implements StunetRecord {
    public TileSegmented {
        Objects.requireNonNull(caseId, "caseId");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(device, "device");
        if (slabCount < 1 || slab < 0 || slab >= slabCount) {
            throw new IllegalArgumentException("slab " + slab + " of " + slabCount);
        }
    }

    /** The record key on tile topics: {@code caseId/slab}. */
    public String key() {
        return TileKey.of(caseId, slab);
    }
}
