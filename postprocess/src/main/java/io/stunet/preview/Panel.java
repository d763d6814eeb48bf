package io.stunet.preview;

/**
 * Where one view sits in the preview image and which voxel each of its pixels shows. Pixels
 * map to voxels by nearest neighbour on a grid scaled to the physical extent, so a pixel
 * shows exactly one voxel's gray value and label colour.
 *
 * @param plane  the view
 * @param slice  index along the plane's fixed axis (the middle slice)
 * @param x      left pixel column of the panel in the preview image
 * @param y      top pixel row of the panel
 * @param width  panel width in pixels
 * @param height panel height in pixels
 * @param shape  volume shape {@code (z, y, x)}
 */
public record Panel(Plane plane, int slice, int x, int y, int width, int height, int[] shape) {

    public Panel {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Whether the image pixel {@code (px, py)} lies inside this panel. */
    public boolean contains(int px, int py) {
        return px >= x && px < x + width && py >= y && py < y + height;
    }

    /** Flat {@code (z, y, x)} index of the voxel shown at image pixel {@code (px, py)}, or -1 outside. */
    public int voxelAt(int px, int py) {
        if (!contains(px, py)) {
            return -1;
        }
        int[] index = new int[3];
        index[plane.fixedAxis()] = slice;
        int cols = shape[plane.columnAxis()];
        int rows = shape[plane.rowAxis()];
        // Screen axes run against the RAS+ array axes (see Plane), hence n - 1 - i.
        index[plane.columnAxis()] = cols - 1 - nearest(px - x, width, cols);
        index[plane.rowAxis()] = rows - 1 - nearest(py - y, height, rows);
        return (index[0] * shape[1] + index[1]) * shape[2] + index[2];
    }

    /** Voxel under the centre of pixel {@code p} of {@code pixels} spread over {@code voxels}. */
    private static int nearest(int p, int pixels, int voxels) {
        return (int) Math.min(voxels - 1, ((2L * p + 1) * voxels) / (2L * pixels));
    }
}
