package io.stunet.engine;

import io.stunet.slab.SlabLabels;

/**
 * Labels of one finished slab plus what it cost: the device that computed it, network inputs
 * run (tiles x mirrors), wall time from start to finish, and the accumulator's peak size.
 */
public record SlabResult(String caseId, int slabIndex, int slabCount, SlabLabels labels, String device,
                         int networkInputs, long nanos, long peakAccumulatorBytes) {
}
