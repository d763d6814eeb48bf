package io.stunet.tiling;

/**
 * Where a class sum lives in an accumulator cell of {@code width} voxels ({@code classes x width}
 * floats). Voxels go in groups of {@link #GROUP}, one SIMD vector: a whole group stores its
 * classes one after the other, eight floats each, so the kernel reads and writes a group's sums
 * as one contiguous run, consecutive groups follow each other, and the whole cell streams through
 * memory in order. The voxels after the last whole group (fewer than eight) follow, class after
 * class. No padding: a cell is exactly {@code classes x width} floats.
 */
public final class CellLayout {
    /** Voxels per group: the lanes of a 256-bit vector of floats, which the SIMD kernel and argmax use (their species is 256-bit). */
    public static final int GROUP = 8;

    private CellLayout() {
    }

    /** Index of class {@code c}'s sum for voxel {@code x} in a cell of {@code width} voxels. */
    public static int index(int width, int classes, int x, int c) {
        int full = width & -GROUP;
        if (x < full) {
            return ((x / GROUP) * classes + c) * GROUP + (x % GROUP);
        }
        return full * classes + c * (width - full) + (x - full);
    }

    /** How far apart voxel {@code x}'s consecutive classes are: {@code index(width, classes, x, c + 1) - index(width, classes, x, c)}. */
    static int classStride(int width, int x) {
        int full = width & -GROUP;
        return x < full ? GROUP : width - full;
    }

    /** Whether voxels {@code [x, x + GROUP)} are one whole group, stored at {@code index(width, classes, x, c)} for each class. */
    static boolean wholeGroup(int width, int x) {
        return x % GROUP == 0 && x + GROUP <= (width & -GROUP);
    }
}
