package io.stunet.tiling;

/**
 * One tile row's contribution to the accumulator cells it covers, computed from a chunk of
 * network output that the kernel holds. {@link SlabAccumulator#accumulate} calls it once per
 * (z, y) row of the chunk inside the slab, possibly from several threads at once (on disjoint
 * cells).
 */
public interface RowKernel {
    /**
     * Adds the contribution of {@code n} consecutive voxels: chunk voxel {@code src + i}
     * (row-major (depth, patch_y, patch_x) index) goes to cell voxel {@code out + i}, weighted by
     * {@code g[g0 + i]}. A cell of {@code width} voxels holds class {@code c}'s sum for voxel
     * {@code x} at {@code cell[CellLayout.index(width, classes, x, c)]}, and {@code width} is
     * {@code cell.length / classes}.
     */
    void addRow(float[] cell, int out, int src, float[] g, int g0, int n);

    /**
     * Adds a tile row cut into {@code count} cells: segment {@code s} is {@code n[s]} voxels that
     * go to {@code cells[s]} from cell voxel {@code out[s]}; the segments follow one another in
     * the chunk row from voxel {@code src} and in {@code g} from {@code g0}. The same sums as
     * {@link #addRow(float[], int, int, float[], int, int)} segment by segment, which is what
     * this default does; a kernel may compute the row in one pass instead.
     */
    default void addRow(float[][] cells, int[] out, int[] n, int count, int src, float[] g, int g0) {
        for (int s = 0, off = 0; s < count; off += n[s], s++) {
            addRow(cells[s], out[s], src + off, g, g0 + off, n[s]);
        }
    }
}
