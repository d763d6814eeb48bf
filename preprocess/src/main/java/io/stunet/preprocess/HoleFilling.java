package io.stunet.preprocess;

import io.stunet.resample.Shapes;

/**
 * 3-D binary hole filling identical to {@code scipy.ndimage.binary_fill_holes} with its default
 * structuring element: background voxels 6-connected to the volume border (scipy dilates from
 * a border value of 1) stay background, every other voxel becomes foreground. Implemented as
 * one flood fill with an explicit stack, so it costs O(voxels) time and a byte per voxel.
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
        int plane = ny * nx;
        // outside[i]: background reached from the border
        boolean[] outside = new boolean[mask.length];
        IntStack stack = new IntStack();
        for (int z = 0; z < nz; z++) {
            for (int y = 0; y < ny; y++) {
                boolean borderRow = z == 0 || z == nz - 1 || y == 0 || y == ny - 1;
                int row = z * plane + y * nx;
                for (int x = 0; x < nx; x++) {
                    if (borderRow || x == 0 || x == nx - 1) {
                        int i = row + x;
                        if (!mask[i] && !outside[i]) {
                            outside[i] = true;
                            stack.push(i);
                        }
                    }
                }
            }
        }
        while (!stack.isEmpty()) {
            int i = stack.pop();
            int z = i / plane;
            int r = i - z * plane;
            int y = r / nx;
            int x = r - y * nx;
            if (x > 0) {
                visit(mask, outside, stack, i - 1);
            }
            if (x < nx - 1) {
                visit(mask, outside, stack, i + 1);
            }
            if (y > 0) {
                visit(mask, outside, stack, i - nx);
            }
            if (y < ny - 1) {
                visit(mask, outside, stack, i + nx);
            }
            if (z > 0) {
                visit(mask, outside, stack, i - plane);
            }
            if (z < nz - 1) {
                visit(mask, outside, stack, i + plane);
            }
        }
        for (int i = 0; i < outside.length; i++) {
            outside[i] = !outside[i];
        }
        return outside;
    }

    private static void visit(boolean[] mask, boolean[] outside, IntStack stack, int j) {
        if (!mask[j] && !outside[j]) {
            outside[j] = true;
            stack.push(j);
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
