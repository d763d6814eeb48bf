package io.stunet.geometry;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import java.util.Arrays;

/**
 * A lossless reorientation of a 3-D grid by axis permutation and flips, with its exact
 * inverse: by default to the closest canonical RAS+ orientation, exactly as
 * {@code nibabel.as_closest_canonical} (data via {@code apply_orientation}, affine via
 * {@code affine @ inv_ornt_aff(ornt, shape)}). Data are flat x-fastest arrays (C order
 * (z, y, x)); shapes are (nx, ny, nz). The {@link Spec} is what a pipeline stores (JSON)
 * to undo the reorientation at export.
 */
public final class Reorientation {
    /**
     * Serializable form: input grid, nibabel "ornt" (input axis i goes to output axis
     * {@code axes[i]}, reversed when {@code flips[i] == -1}) and the input affine (row-major 16).
     */
    public record Spec(int[] inputShapeXyz, int[] axes, int[] flips, double[] inputAffine) {
        public Spec {
            inputShapeXyz = inputShapeXyz.clone();
            axes = axes.clone();
            flips = flips.clone();
            inputAffine = inputAffine.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Spec s && Arrays.equals(inputShapeXyz, s.inputShapeXyz)
                    && Arrays.equals(axes, s.axes) && Arrays.equals(flips, s.flips)
                    && Arrays.equals(inputAffine, s.inputAffine);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(inputShapeXyz) * 31 + Arrays.hashCode(axes) * 17 + Arrays.hashCode(flips);
        }

        @Override
        public String toString() {
            return "Spec[shape=" + Arrays.toString(inputShapeXyz) + ", axes=" + Arrays.toString(axes)
                    + ", flips=" + Arrays.toString(flips) + "]";
        }
    }

    private final int[] inShape;
    private final int[] axes;
    private final int[] flips;
    private final Affine inAffine;
    private final int[] outShape;
    private final Affine outAffine;

    private Reorientation(int[] inShape, int[] axes, int[] flips, Affine inAffine) {
        if (inShape.length != 3 || axes.length != 3 || flips.length != 3) {
            throw new IllegalArgumentException("reorientation is 3-D");
        }
        boolean[] seen = new boolean[3];
        for (int i = 0; i < 3; i++) {
            if (axes[i] < 0 || axes[i] > 2 || seen[axes[i]] || (flips[i] != 1 && flips[i] != -1)) {
                throw new StunetException(ErrorCode.INVALID_GEOMETRY,
                        "not an axis permutation with flips: " + Arrays.toString(axes) + Arrays.toString(flips));
            }
            if (inShape[i] < 1) {
                throw new IllegalArgumentException("bad shape " + Arrays.toString(inShape));
            }
            seen[axes[i]] = true;
        }
        this.inShape = inShape.clone();
        this.axes = axes.clone();
        this.flips = flips.clone();
        this.inAffine = inAffine;
        this.outShape = new int[3];
        for (int i = 0; i < 3; i++) {
            outShape[axes[i]] = inShape[i];
        }
        this.outAffine = inAffine.multiply(invOrntAff());
    }

    /** The reorientation to the closest canonical RAS+ grid ({@code as_closest_canonical}). */
    public static Reorientation toClosestCanonical(Affine affine, int nx, int ny, int nz) {
        AxisOrientation o = AxisOrientation.of(affine);
        if (!o.isDetermined()) {
            throw new StunetException(ErrorCode.INVALID_GEOMETRY,
                    "affine has a vanishing axis; orientation undefined");
        }
        return new Reorientation(new int[] {nx, ny, nz}, o.axes(), o.flips(), affine);
    }

    /** The identity (model card {@code "orientation": "none"}). */
    public static Reorientation identity(Affine affine, int nx, int ny, int nz) {
        return new Reorientation(new int[] {nx, ny, nz}, new int[] {0, 1, 2}, new int[] {1, 1, 1}, affine);
    }

    /** Rebuilds a stored reorientation. */
    public static Reorientation fromSpec(Spec spec) {
        return new Reorientation(spec.inputShapeXyz(), spec.axes(), spec.flips(), Affine.of(spec.inputAffine()));
    }

    public Spec spec() {
        return new Spec(inShape, axes, flips, inAffine.toArray());
    }

    public int[] inputShapeXyz() {
        return inShape.clone();
    }

    public int[] outputShapeXyz() {
        return outShape.clone();
    }

    public Affine inputAffine() {
        return inAffine;
    }

    public Affine outputAffine() {
        return outAffine;
    }

    /** Whether data and affine are unchanged (nibabel then returns the image itself). */
    public boolean isIdentity() {
        return axes[0] == 0 && axes[1] == 1 && axes[2] == 2 && flips[0] == 1 && flips[1] == 1 && flips[2] == 1;
    }

    /** Input grid to output grid. */
    public float[] apply(float[] zyx) {
        float[] out = new float[check(zyx.length)];
        forward((d, s, step, n) -> {
            for (int k = 0; k < n; k++, s += step) {
                out[d + k] = zyx[s];
            }
        });
        return out;
    }

    public byte[] apply(byte[] zyx) {
        byte[] out = new byte[check(zyx.length)];
        forward((d, s, step, n) -> {
            for (int k = 0; k < n; k++, s += step) {
                out[d + k] = zyx[s];
            }
        });
        return out;
    }

    public short[] apply(short[] zyx) {
        short[] out = new short[check(zyx.length)];
        forward((d, s, step, n) -> {
            for (int k = 0; k < n; k++, s += step) {
                out[d + k] = zyx[s];
            }
        });
        return out;
    }

    /** Output grid back to the input grid; exact inverse of {@code apply}. */
    public float[] invert(float[] zyx) {
        float[] out = new float[check(zyx.length)];
        backward((d, s, step, n) -> {
            for (int k = 0; k < n; k++, s += step) {
                out[d + k] = zyx[s];
            }
        });
        return out;
    }

    public byte[] invert(byte[] zyx) {
        byte[] out = new byte[check(zyx.length)];
        backward((d, s, step, n) -> {
            for (int k = 0; k < n; k++, s += step) {
                out[d + k] = zyx[s];
            }
        });
        return out;
    }

    public short[] invert(short[] zyx) {
        short[] out = new short[check(zyx.length)];
        backward((d, s, step, n) -> {
            for (int k = 0; k < n; k++, s += step) {
                out[d + k] = zyx[s];
            }
        });
        return out;
    }

    @Override
    public String toString() {
        return "Reorientation" + spec();
    }

    /** Copies one destination row (n voxels from offset d) from source offsets s, s+step, ... */
    @FunctionalInterface
    private interface RowCopy {
        void copy(int d, int s, int step, int n);
    }

    private int check(int length) {
        int n = Math.multiplyExact(Math.multiplyExact(inShape[0], inShape[1]), inShape[2]);
        if (length != n) {
            throw new IllegalArgumentException("array has " + length + " voxels, grid has " + n);
        }
        return n;
    }

    private void forward(RowCopy row) {
        // Output axis j reads input axis src[j] (argsort of axes), reversed if that axis flips.
        int[] src = new int[3];
        int[] flip = new int[3];
        for (int i = 0; i < 3; i++) {
            src[axes[i]] = i;
            flip[axes[i]] = flips[i];
        }
        gather(inShape, outShape, src, flip, row);
    }

    private void backward(RowCopy row) {
        // Input axis i is stored in output axis axes[i].
        gather(outShape, inShape, axes, flips, row);
    }

    /** Walks the destination in memory order; destination axis j takes source axis src[j]. */
    private static void gather(int[] srcShape, int[] dstShape, int[] src, int[] flip, RowCopy row) {
        long[] srcStride = {1, srcShape[0], (long) srcShape[0] * srcShape[1]};
        int[] step = new int[3];
        long base = 0;
        for (int j = 0; j < 3; j++) {
            long s = srcStride[src[j]];
            if (flip[j] < 0) {
                base += (srcShape[src[j]] - 1) * s;
                s = -s;
            }
            step[j] = (int) s;
        }
        int nx = dstShape[0];
        int ny = dstShape[1];
        int nz = dstShape[2];
        int d = 0;
        for (int z = 0; z < nz; z++) {
            long sz = base + (long) z * step[2];
            for (int y = 0; y < ny; y++) {
                row.copy(d, (int) (sz + (long) y * step[1]), step[0], nx);
                d += nx;
            }
        }
    }

    /** nibabel {@code inv_ornt_aff(ornt, shape)}: output voxel to input voxel. */
    private Affine invOrntAff() {
        double[] undoReorder = new double[16];
        for (int i = 0; i < 3; i++) {
            undoReorder[4 * i + axes[i]] = 1;
        }
        undoReorder[15] = 1;
        double[] undoFlip = new double[16];
        for (int i = 0; i < 3; i++) {
            double center = -(inShape[i] - 1) / 2.0;
            undoFlip[5 * i] = flips[i];
            undoFlip[4 * i + 3] = flips[i] * center - center;
        }
        undoFlip[15] = 1;
        return Affine.of(undoFlip).multiply(Affine.of(undoReorder));
    }
}
