package io.stunet.window;

import io.stunet.slab.SlabPlan;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Preprocess publishes read ranges from {@link SlabPlan} (common) and infer runs
 * {@link SlidingWindowPlan}: the ranges must be exactly the z extent of the tiles that
 * overlap each slab, for depths below, at and above the patch and any slab count.
 */
class SlabPlanAgreementTest {
    @Test
    void readRangeIsTheZExtentOfTheOverlappingTiles() {
        for (int patchZ : new int[] {8, 16, 128}) {
            for (double step : new double[] {0.5, 0.33, 1.0}) {
                for (int depth : new int[] {1, 5, patchZ - 1, patchZ, patchZ + 1, 3 * patchZ + 7, 311}) {
                    SlidingWindowPlan plan = SlidingWindowPlan.of(new int[] {depth, 40, 40}, new int[] {patchZ, 32, 32}, step);
                    for (int count = 1; count <= 6; count++) {
                        int[] b = SlabPlan.bounds(depth, count);
                        for (int i = 0; i + 1 < b.length; i++) {
                            List<Tile> tiles = plan.tilesOverlapping(b[i], b[i + 1]);
                            int pad = plan.padBelow()[0];
                            int lo = Math.max(0, tiles.stream().mapToInt(t -> t.z() - pad).min().orElseThrow());
                            int hi = Math.min(depth, tiles.stream().mapToInt(t -> t.z() + patchZ - pad).max().orElseThrow());
                            assertArrayEquals(new int[] {lo, hi}, SlabPlan.readRange(depth, patchZ, step, b[i], b[i + 1]),
                                    "depth " + depth + " patch " + patchZ + " step " + step + " slab " + i + "/" + count);
                        }
                    }
                }
            }
        }
    }
}
