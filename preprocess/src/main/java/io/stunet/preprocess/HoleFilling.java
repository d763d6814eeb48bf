package io.stunet.preprocess;

import io.stunet.resample.Shapes;

/**
 * 3-D binary hole filling identical to {@code scipy.ndimage.binary_fill_holes} with its default
 * structuring element: background voxels 6-connected to the volume border (scipy dilates from
 * a border value of 1) stay background, every other voxel becomes foreground. Implemented as a
 * scanline flood fill from the border, O(voxels) time and a byte per voxel.
 */
public final class HoleFilling {
    private HoleFilling() {
    }

    /** Returns the filled mask; {@code mask} is not modified. */
    public static boolean[] fill(boolean[] mask, int[] shape) {
        Shapes.checkLength(mask.length, shape);
        int nz = shape[0];
        int ny = shape[1];
        int nx = shape[2];
        // outside[i]: background reached from the border
        boolean[] outside = new boolean[mask.length];
        Flood f = new Flood(mask, outside, nz, ny, nx);
        for (int z = 0; z < nz; z++) {
            for (int y = 0; y < ny; y++) {
                int row = (z * ny + y) * nx;
                if (z == 0 || z == nz - 1 || y == 0 || y == ny - 1) {
                    for (int x = 0; x < nx; x++) {
                        f.from(row + x);
                    }
                } else {
                    f.from(row);
                    f.from(row + nx - 1);
                }
            }
        }
        for (int i = 0; i < outside.length; i++) {
            outside[i] = !outside[i];
        }
        return outside;
    }

    /**
     * Scanline flood fill over background voxels with 6-connectivity: a popped seed grows into
     * the whole background run of its x-row, and each of the four neighbouring rows (y +- 1,
     * z +- 1) gets one seed per background run overlapping that span. Memory access stays
     * sequential along rows and the stack holds runs, not voxels.
     */
    private static final class Flood {
        private final boolean[] mask;
        private final boolean[] outside;
        private final int nz;
        private final int ny;
        private final int nx;
        private final IntStack stack = new IntStack();

        Flood(boolean[] mask, boolean[] outside, int nz, int ny, int nx) {
            this.mask = mask;
            this.outside = outside;
            this.nz = nz;
            this.ny = ny;
            this.nx = nx;
        }

        void from(int seed) {
            if (mask[seed] || outside[seed]) {
                return;
            }
            stack.push(seed);
            while (!stack.isEmpty()) {
                int i = stack.pop();
                if (outside[i]) {
                    continue;
                }
                int rowIndex = i / nx;
                int row = rowIndex * nx;
                int x = i - row;
                int lo = x;
                while (lo > 0 && !mask[row + lo - 1] && !outside[row + lo - 1]) {
                    lo--;
                }
                int hi = x;
                while (hi < nx - 1 && !mask[row + hi + 1] && !outside[row + hi + 1]) {
                    hi++;
                }
                for (int k = lo; k <= hi; k++) {
                    outside[row + k] = true;
                }
                int z = rowIndex / ny;
                int y = rowIndex - z * ny;
                if (y > 0) {
                    seedRuns(row - nx, lo, hi);
                }
                if (y < ny - 1) {
                    seedRuns(row + nx, lo, hi);
                }
                if (z > 0) {
                    seedRuns(row - ny * nx, lo, hi);
                }
                if (z < nz - 1) {
                    seedRuns(row + ny * nx, lo, hi);
                }
            }
        }

        private void seedRuns(int row, int lo, int hi) {
            boolean inRun = false;
            for (int k = lo; k <= hi; k++) {
                boolean open = !mask[row + k] && !outside[row + k];
                if (open && !inRun) {
                    stack.push(row + k);
                }
                inRun = open;
            }
        }
    }

    /** A growable stack of ints without boxing. */
    private static final class IntStack {
        private int[] items = new int[1 << 16];
        private int size;

        void push(int v) {
            if (size == items.length) {
                items = java.util.Arrays.copyOf(items, items.length * 2);
            }
            items[size++] = v;
        }

        int pop() {
            return items[--size];
        }

        boolean isEmpty() {
            return size == 0;
        }
    }
}
