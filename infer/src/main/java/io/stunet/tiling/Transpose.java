package io.stunet.tiling;

/** (channels, voxels) to (voxels, channels) copies, blocked so both sides stay in cache. */
public final class Transpose {
    private static final int BLOCK = 64;

    private Transpose() {
    }

    /** {@code dst[v * channels + c] = src[c * voxels + v]}. */
    public static void toVoxelMajor(float[] src, int channels, int voxels, float[] dst) {
        for (int v0 = 0; v0 < voxels; v0 += BLOCK) {
            int v1 = Math.min(voxels, v0 + BLOCK);
            for (int c = 0; c < channels; c++) {
                int sb = c * voxels;
                for (int v = v0; v < v1; v++) {
                    dst[v * channels + c] = src[sb + v];
                }
            }
        }
    }
}
