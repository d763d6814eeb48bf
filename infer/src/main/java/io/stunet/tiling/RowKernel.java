package io.stunet.tiling;

/**
 * One tile row's contribution to one accumulator row, computed from a chunk of network output
 * that the kernel holds. {@link SlabAccumulator#accumulate} calls it once per (z, y) row of the
 * chunk inside the slab, possibly from several threads at once (on disjoint rows).
 */
public interface RowKernel {
    /**
     * Adds the contribution of {@code n} consecutive voxels: source voxel {@code src + i} of the
     * chunk (row-major (depth, patch_y, patch_x) offset) goes to {@code row[c * stride + out + i]}
     * for every class {@code c}, weighted by Gaussian value {@code g[g0 + i]}.
     */
    void addRow(float[] row, int stride, int out, int src, float[] g, int g0, int n);
}
