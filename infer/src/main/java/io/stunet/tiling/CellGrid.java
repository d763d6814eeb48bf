package io.stunet.tiling;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.window.SlidingWindowPlan;
import io.stunet.window.Tile;

import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * The cells of one output z-slab: its (z, y) rows, each cut in x wherever a tile starts or
 * ends, so that every voxel of a cell is covered by the same tiles. {@link SlabAccumulator} and
 * its peak simulation walk cells through this one class, so the prediction cannot drift from
 * what the accumulator does. Rows are numbered {@code (z - z0) * height + y}.
 */
final class CellGrid {
    /** Receives tile-relative plane {@code dz}, tile-relative row {@code dy} and the slab row index. */
    interface RowVisitor {
        void visit(int dz, int dy, int row);
    }

    private final SlidingWindowPlan plan;
    private final int z0;
    private final int z1;
    final int height;
    final int width;
    private final int[] patch;
    private final int[] below;
    /** Cell k covers output x in {@code [cellStart[k], cellStart[k + 1])}. */
    final int[] cellStart;
    final int cellCount;
    /** Index (in the plan's x starts) of the last x-tile covering cell k. */
    private final int[] cellLastX;

    CellGrid(SlidingWindowPlan plan, int z0, int z1) {
        int[] shape = plan.shape();
        this.plan = plan;
        this.z0 = z0;
        this.z1 = z1;
        this.height = shape[1];
        this.width = shape[2];
        this.patch = plan.patch();
        this.below = plan.padBelow();
        this.cellStart = bounds(plan);
        this.cellCount = cellStart.length - 1;
        this.cellLastX = new int[cellCount];
        int[] xs = plan.starts(2);
        for (int k = 0; k < cellCount; k++) {
            cellLastX[k] = lastStartCovering(xs, patch[2], cellStart[k] + below[2]);
        }
    }

    /** Output-x boundaries where some tile starts or ends, plus 0 and the width: the set of tiles covering x is constant in between. */
    static int[] bounds(SlidingWindowPlan plan) {
        int w = plan.shape()[2];
        int px = plan.patch()[2];
        int b = plan.padBelow()[2];
        TreeSet<Integer> cuts = new TreeSet<>(List.of(0, w));
        for (int s : plan.starts(2)) {
            cuts.add(Math.max(0, Math.min(w, s - b)));
            cuts.add(Math.max(0, Math.min(w, s - b + px)));
        }
        return cuts.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int lastStartCovering(int[] starts, int p, int v) {
        for (int i = starts.length - 1; i >= 0; i--) {
            if (starts[i] <= v && v < starts[i] + p) {
                return i;
            }
        }
        throw new StunetException(ErrorCode.INTERNAL, "coordinate " + v + " is covered by no tile");
    }

    int rows() {
        return (z1 - z0) * height;
    }

    int cellWidth(int k) {
        return cellStart[k + 1] - cellStart[k];
    }

    /** First cell the tile covers. */
    int firstCell(Tile t) {
        return cellOf(Math.max(0, t.x() - below[2]));
    }

    /** Last cell the tile covers. */
    int lastCell(Tile t) {
        return cellOf(Math.min(width, t.x() - below[2] + patch[2]) - 1);
    }

    private int cellOf(int x) {
        int k = Arrays.binarySearch(cellStart, x);
        return k >= 0 ? Math.min(k, cellCount - 1) : -k - 2;
    }

    /** The slab row of the tile's plane {@code dz} and row {@code dy}, or -1 when it lies outside the slab or in padding. */
    int row(Tile t, int dz, int dy) {
        int z = t.z() + dz - below[0];
        int y = t.y() + dy - below[1];
        return z < z0 || z >= z1 || y < 0 || y >= height ? -1 : (z - z0) * height + y;
    }

    /** Visits the slab rows of the tile's planes {@code [dz0, dz1)}, plane by plane. */
    void forEachRow(Tile t, int dz0, int dz1, RowVisitor visitor) {
        for (int dz = dz0; dz < dz1; dz++) {
            for (int dy = 0; dy < patch[1]; dy++) {
                int r = row(t, dz, dy);
                if (r >= 0) {
                    visitor.visit(dz, dy, r);
                }
            }
        }
    }

    /** Whether {@code t} is the last tile of the plan's order to touch cell {@code k} of row {@code row}. */
    boolean lastTouch(Tile t, int row, int k) {
        int z = z0 + row / height;
        int y = row % height;
        return plan.lastTileTouching(z + below[0], y + below[1], cellLastX[k]) == t.index();
    }
}
