package io.stunet.engine;

import io.stunet.window.VolumeSource;

/**
 * One unit of inference work: output slab {@code slabIndex} of {@code slabCount} of a
 * preprocessed case. The slab's z-range comes from {@link io.stunet.slab.SlabPlan#bounds};
 * the source must cover the whole case because tiles reach beyond the slab.
 */
public record SlabRequest(String caseId, VolumeSource source, int slabIndex, int slabCount) {
    /** The whole case as a single slab. */
    public static SlabRequest whole(String caseId, VolumeSource source) {
        return new SlabRequest(caseId, source, 0, 1);
    }
}
