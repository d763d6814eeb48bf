package io.stunet.tiling;

import io.stunet.slab.SlabLabels;
import io.stunet.window.SlidingWindowPlan;
import io.stunet.window.Tile;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rolling accumulator's memory bound and its arithmetic, without a network. */
class SlabAccumulatorTest {
    @Test
    void accumulatorMemoryIsFlatInVolumeLength() {
        int[] patch = {128, 128, 128};
        long[] peaks = new long[3];
        int[] slices = {300, 600, 1000};
        for (int i = 0; i < 3; i++) {
            SlidingWindowPlan plan = SlidingWindowPlan.of(new int[] {slices[i], 512, 512}, patch, 0.5);
            peaks[i] = SlabAccumulator.simulatePeakVoxels(plan, 0, slices[i], 4, false);
        }
        // Step rounding differs a little between lengths (e.g. 57.3 vs 64 slices), nothing else.
        long max = Math.max(peaks[0], Math.max(peaks[1], peaks[2]));
        long min = Math.min(peaks[0], Math.min(peaks[1], peaks[2]));
        assertTrue(max <= 1.1 * min, "peak voxels " + java.util.Arrays.toString(peaks));
        // classes x (patch_z + step_z) x Y x X is the documented bound (docs/numerics.md section 5).
        assertTrue(peaks[0] <= (128L + 64) * 512 * 512, "peak voxels " + peaks[0]);
    }

    /**
     * Feeding random probabilities for every tile of a small plan gives, per voxel, the argmax of
     * the sums computed directly in the same order: the row bookkeeping loses and double-counts nothing.
     */
    @Test
    void rollingAccumulationEqualsDirectSum() {
        int classes = 4;
        int[] shape = {23, 11, 9};
        int[] patch = {8, 6, 5};
        SlidingWindowPlan plan = SlidingWindowPlan.of(shape, patch, 0.5);
        float[] g = io.stunet.window.GaussianImportanceMap.of(patch);
        int n = shape[0] * shape[1] * shape[2];
        float[] sums = new float[classes * n];
        float[] weights = new float[n];
        SlabAccumulator acc = new SlabAccumulator(plan, classes, 5, 17);
        Random r = new Random(3);
        int pv = patch[0] * patch[1] * patch[2];
        for (Tile t : plan.tiles()) {
            float[] probs = new float[classes * pv];
            for (int i = 0; i < probs.length; i++) {
                probs[i] = r.nextFloat();
            }
            for (int c = 0; c < classes; c++) {
                for (int dz = 0; dz < patch[0]; dz++) {
                    for (int dy = 0; dy < patch[1]; dy++) {
                        for (int dx = 0; dx < patch[2]; dx++) {
                            int k = (dz * patch[1] + dy) * patch[2] + dx;
                            int v = ((t.z() + dz) * shape[1] + t.y() + dy) * shape[2] + t.x() + dx;
                            sums[c * n + v] += (0.5f * probs[c * pv + k]) * g[k];
                            if (c == 0) {
                                weights[v] += g[k];
                            }
                        }
                    }
                }
            }
            if (t.z() < 17 && t.z() + patch[0] > 5) {
                for (int dz0 = 0; dz0 < patch[0]; dz0 += 3) {
                    int depth = Math.min(3, patch[0] - dz0);
                    float[] chunk = new float[classes * depth * patch[1] * patch[2]];
                    for (int c = 0; c < classes; c++) {
                        System.arraycopy(probs, c * pv + dz0 * patch[1] * patch[2], chunk,
                                c * depth * patch[1] * patch[2], depth * patch[1] * patch[2]);
                    }
                    if (acc.needs(t, dz0, depth)) {
                        acc.add(t, dz0, depth, chunk, 0.5f);
                    }
                }
                acc.complete(t);
            }
        }
        SlabLabels slab = acc.result();
        assertEquals(SlabAccumulator.simulatePeakVoxels(plan, 5, 17, 3, true), acc.peakVoxels());
        for (int z = 5; z < 17; z++) {
            for (int i = 0; i < shape[1] * shape[2]; i++) {
                int v = z * shape[1] * shape[2] + i;
                int best = 0;
                float bv = sums[v] / weights[v];
                for (int c = 1; c < classes; c++) {
                    float x = sums[c * n + v] / weights[v];
                    if (x > bv) {
                        bv = x;
                        best = c;
                    }
                }
                assertEquals(best, slab.label((z - 5) * shape[1] * shape[2] + i), "voxel " + v);
            }
        }
    }

    /** Releasing cells chunk by chunk on a tile's last output lowers the peak, and the plan-only simulation predicts it. */
    @Test
    void chunkwiseReleaseMatchesTheSimulationAndNeverExceedsTheMirroredPeak() {
        int[] shape = {40, 30, 50};
        int[] patch = {16, 12, 20};
        SlidingWindowPlan plan = SlidingWindowPlan.of(shape, patch, 0.5);
        SlabAccumulator acc = new SlabAccumulator(plan, 3, 0, shape[0]);
        RowKernel ones = (cell, out, src, g, g0, n) -> {
            int width = cell.length / 3;
            for (int i = 0; i < n; i++) {
                cell[CellLayout.index(width, 3, out + i, 1)] += g[g0 + i];
            }
        };
        for (Tile t : plan.tiles()) {
            for (int dz0 = 0; dz0 < patch[0]; dz0 += 4) {
                acc.accumulate(t, dz0, 4, ones, true);
            }
            acc.complete(t);
        }
        SlabLabels slab = acc.result();
        for (int i = 0; i < shape[0] * shape[1] * shape[2]; i++) {
            assertEquals(1, slab.label(i));
        }
        long chunkwise = SlabAccumulator.simulatePeakVoxels(plan, 0, shape[0], 4, false);
        assertEquals(chunkwise, acc.peakVoxels());
        assertTrue(chunkwise < SlabAccumulator.simulatePeakVoxels(plan, 0, shape[0], 4, true));
    }
}
