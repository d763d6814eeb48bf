package io.stunet.resample;

/**
 * Cubic B-spline resizing equal to {@code skimage.transform.resize(x.astype(float64), shape,
 * order=3, mode='edge', anti_aliasing=False, clip=True)} in skimage 0.19, i.e.
 * {@code scipy.ndimage.zoom(order=3, mode='nearest', grid_mode=True)} followed by clipping to
 * the input's [min, max]. The tensor-product spline is applied one axis at a time (x, then y,
 * then z), which is the same linear operator scipy evaluates with its 64-tap loop; lines run in
 * parallel on the common fork-join pool. Voxels are stored as float32 and every sum is done in
 * double. An axis whose length does not change is left alone: scipy's spline reproduces such an
 * axis to within rounding.
 *
 * <p>The separate-z variant ({@link #resizeSeparate}) is nnU-Net v1's anisotropic path: each
 * slice across the low-resolution axis is resized in-plane as a 2-D image (clipped to that
 * slice's own range), then the low-resolution axis is resampled with order 0.
 */
public final class SplineResampler {
    private SplineResampler() {
    }

    /** Resizes a (z, y, x) volume to {@code outShape} with the 3-D cubic spline. */
    public static float[] resize(float[] data, int[] shape, int[] outShape) {
        Shapes.checkLength(data.length, shape);
        int outVoxels = Shapes.voxels(outShape);
        int nz = shape[0];
        int ny = shape[1];
        int nx = shape[2];
        int oz = outShape[0];
        int oy = outShape[1];
        int ox = outShape[2];
        if (nz == oz && ny == oy && nx == ox) {
            return data.clone();
        }
        double[] range = range(data);
        CubicAxis ax = nx != ox ? new CubicAxis(nx, ox) : null;
        CubicAxis ay = ny != oy ? new CubicAxis(ny, oy) : null;
        CubicAxis az = nz != oz ? new CubicAxis(nz, oz) : null;
        float[] out = new float[outVoxels];
        // In-plane first; when z changes too, the in-plane result is the only full-size
        // intermediate (float32, nz x oy x ox), otherwise it is the output itself.
        float[] mid = az == null ? out : new float[nz * oy * ox];
        boolean clipNow = az == null;
        Parallel.forRange(nz, (from, to) -> {
            SliceWork w = new SliceWork(ny, nx, oy, ox, ax, ay);
            for (int z = from; z < to; z++) {
                double[] res = w.resize(data, z * ny * nx);
                store(res, mid, z * oy * ox, oy * ox, clipNow, range);
            }
        });
        if (az != null) {
            Parallel.forRange(oy, (from, to) -> {
                double[] plane = new double[nz * ox];
                double[] pad = new double[az.padded * ox];
                double[] res = new double[oz * ox];
                for (int y = from; y < to; y++) {
                    for (int z = 0; z < nz; z++) {
                        int src = (z * oy + y) * ox;
                        for (int x = 0; x < ox; x++) {
                            plane[z * ox + x] = mid[src + x];
                        }
                    }
                    az.resampleRows(plane, ox, pad, res);
                    for (int k = 0; k < oz; k++) {
                        store(res, k * ox, out, (k * oy + y) * ox, ox, range);
                    }
                }
            });
        }
        return out;
    }

    /**
     * Resizes every slice across {@code axis} in-plane (2-D cubic spline, each slice clipped to
     * its own range); {@code outShape[axis]} must equal {@code shape[axis]}.
     */
    public static float[] resizeInPlane(float[] data, int[] shape, int[] outShape, int axis) {
        Shapes.checkLength(data.length, shape);
        Shapes.checkAxis(axis);
        Shapes.check(outShape);
        if (outShape[axis] != shape[axis]) {
            throw new IllegalArgumentException("in-plane resize cannot change axis " + axis);
        }
        int[] rc = otherAxes(axis);
        int rows = shape[rc[0]];
        int cols = shape[rc[1]];
        int orows = outShape[rc[0]];
        int ocols = outShape[rc[1]];
        int slices = shape[axis];
        float[] out = new float[Shapes.voxels(outShape)];
        CubicAxis ac = cols != ocols ? new CubicAxis(cols, ocols) : null;
        CubicAxis ar = rows != orows ? new CubicAxis(rows, orows) : null;
        int[] inStrides = strides(shape);
        int[] outStrides = strides(outShape);
        Parallel.forRange(slices, (from, to) -> {
            SliceWork w = new SliceWork(rows, cols, orows, ocols, ac, ar);
            double[] slice = new double[rows * cols];
            for (int s = from; s < to; s++) {
                gather(data, s * inStrides[axis], inStrides[rc[0]], inStrides[rc[1]], rows, cols, slice);
                double[] range = range(slice);
                double[] res = w.resize(slice);
                scatter(res, out, s * outStrides[axis], outStrides[rc[0]], outStrides[rc[1]], orows, ocols, range);
            }
        });
        return out;
    }

    /**
     * nnU-Net v1's separate-z resize: {@link #resizeInPlane} across {@code axis}, then order 0
     * ({@link NearestResampler}) along {@code axis} when its length changes.
     */
    public static float[] resizeSeparate(float[] data, int[] shape, int[] outShape, int axis) {
        Shapes.checkAxis(axis);
        Shapes.check(outShape);
        int[] planeShape = outShape.clone();
        planeShape[axis] = shape[axis];
        float[] inPlane = resizeInPlane(data, shape, planeShape, axis);
        if (planeShape[axis] == outShape[axis]) {
            return inPlane;
        }
        return NearestResampler.resample(inPlane, planeShape, outShape);
    }

    static int[] otherAxes(int axis) {
        return switch (axis) {
            case 0 -> new int[] {1, 2};
            case 1 -> new int[] {0, 2};
            default -> new int[] {0, 1};
        };
    }

    static int[] strides(int[] shape) {
        return new int[] {shape[1] * shape[2], shape[2], 1};
    }

    private static void gather(float[] data, int base, int rowStride, int colStride, int rows, int cols,
                               double[] dst) {
        for (int r = 0; r < rows; r++) {
            int o = base + r * rowStride;
            int d = r * cols;
            if (colStride == 1) {
                for (int c = 0; c < cols; c++) {
                    dst[d + c] = data[o + c];
                }
            } else {
                for (int c = 0; c < cols; c++) {
                    dst[d + c] = data[o + c * colStride];
                }
            }
        }
    }

    private static void scatter(double[] src, float[] out, int base, int rowStride, int colStride, int rows,
                                int cols, double[] range) {
        double lo = range[0];
        double hi = range[1];
        for (int r = 0; r < rows; r++) {
            int o = base + r * rowStride;
            int s = r * cols;
            for (int c = 0; c < cols; c++) {
                out[o + c * colStride] = (float) clip(src[s + c], lo, hi);
            }
        }
    }

    private static void store(double[] src, float[] dst, int dstOff, int n, boolean clip, double[] range) {
        if (clip) {
            store(src, 0, dst, dstOff, n, range);
        } else {
            for (int i = 0; i < n; i++) {
                dst[dstOff + i] = (float) src[i];
            }
        }
    }

    private static void store(double[] src, int srcOff, float[] dst, int dstOff, int n, double[] range) {
        double lo = range[0];
        double hi = range[1];
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = (float) clip(src[srcOff + i], lo, hi);
        }
    }

    private static double clip(double v, double lo, double hi) {
        return v < lo ? lo : (v > hi ? hi : v);
    }

    /** [min, max] of a float buffer, computed in parallel. */
    static double[] range(float[] data) {
        int chunks = Math.max(1, Math.min(64, data.length / 65536));
        float[] mins = new float[chunks];
        float[] maxs = new float[chunks];
        Parallel.forRange(chunks, (from, to) -> {
            for (int c = from; c < to; c++) {
                int a = (int) ((long) data.length * c / chunks);
                int b = (int) ((long) data.length * (c + 1) / chunks);
                float lo = Float.POSITIVE_INFINITY;
                float hi = Float.NEGATIVE_INFINITY;
                for (int i = a; i < b; i++) {
                    float v = data[i];
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                mins[c] = lo;
                maxs[c] = hi;
            }
        });
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < chunks; c++) {
            lo = Math.min(lo, mins[c]);
            hi = Math.max(hi, maxs[c]);
        }
        return new double[] {lo, hi};
    }

    private static double[] range(double[] data) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : data) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return new double[] {lo, hi};
    }

    /** Per-thread buffers for resizing one 2-D (rows x cols) slice along cols, then rows. */
    private static final class SliceWork {
        private final int rows;
        private final int cols;
        private final int ocols;
        private final CubicAxis ac;
        private final CubicAxis ar;
        private final double[] padLine;
        private final double[] colsDone;
        private final double[] padRows;
        private final double[] result;

        SliceWork(int rows, int cols, int orows, int ocols, CubicAxis ac, CubicAxis ar) {
            this.rows = rows;
            this.cols = cols;
            this.ocols = ocols;
            this.ac = ac;
            this.ar = ar;
            this.padLine = ac == null ? null : new double[ac.padded];
            this.colsDone = new double[rows * ocols];
            this.padRows = ar == null ? null : new double[ar.padded * ocols];
            this.result = ar == null ? colsDone : new double[orows * ocols];
        }

        /** Resizes the contiguous float slice starting at {@code off}. */
        double[] resize(float[] data, int off) {
            for (int r = 0; r < rows; r++) {
                int o = off + r * cols;
                if (ac != null) {
                    ac.resampleLine(data, o, padLine, colsDone, r * ocols);
                } else {
                    for (int c = 0; c < cols; c++) {
                        colsDone[r * ocols + c] = data[o + c];
                    }
                }
            }
            return finishRows();
        }

        /** Resizes a gathered double slice. */
        double[] resize(double[] slice) {
            for (int r = 0; r < rows; r++) {
                if (ac != null) {
                    ac.resampleLine(slice, r * cols, padLine, colsDone, r * ocols);
                } else {
                    System.arraycopy(slice, r * cols, colsDone, r * ocols, cols);
                }
            }
            return finishRows();
        }

        private double[] finishRows() {
            if (ar != null) {
                ar.resampleRows(colsDone, ocols, padRows, result);
            }
            return result;
        }
    }
}
