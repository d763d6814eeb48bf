package io.stunet.tiling;

/**
 * One tile row's contribution to one accumulator cell, computed from a chunk of network output
 * that the kernel holds. {@link SlabAccumulator#accumulate} calls it once per (z, y) row and
 * cell of the chunk inside the slab, possibly from several threads at once (on disjoint cells).
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
}
