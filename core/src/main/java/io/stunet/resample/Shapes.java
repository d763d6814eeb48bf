package io.stunet.resample;

/**
 * Checks and small arithmetic on (z, y, x) shapes of flat C-order buffers, shared by the
 * kernels so every entry point rejects inconsistent arguments the same way.
 */
public final class Shapes {
    private Shapes() {
    }

    /** The number of voxels of a 3-D shape, refusing shapes beyond a Java array. */
    public static int voxels(int[] shape) {
        check(shape);
        long n = (long) shape[0] * shape[1] * shape[2];
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("volume too large for one array: " + n + " voxels");
        }
        return (int) n;
    }

    /** Throws unless {@code shape} is three positive lengths. */
    public static void check(int[] shape) {
        if (shape == null || shape.length != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1) {
            throw new IllegalArgumentException("shape must be three positive lengths (z, y, x)");
        }
    }

    /** Throws unless {@code length} equals the voxel count of {@code shape}. */
    public static void checkLength(int length, int[] shape) {
        if (length != voxels(shape)) {
            throw new IllegalArgumentException("buffer has " + length + " values, shape needs " + voxels(shape));
        }
    }

    /** Throws unless {@code axis} is 0, 1 or 2. */
    public static void checkAxis(int axis) {
        if (axis < 0 || axis > 2) {
            throw new IllegalArgumentException("axis must be 0, 1 or 2: " + axis);
        }
    }
}
