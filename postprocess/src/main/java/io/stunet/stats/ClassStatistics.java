package io.stunet.stats;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidVolumeException;
import io.stunet.error.StunetException;
import io.stunet.volume.Volume;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Per-class statistics of a label map over the image it segments (NUMERICS §7, the
 * semantics of TotalSegmentator's {@code get_basic_statistics}): voxel count, volume in mm³
 * (count times the product of the spacing) and mean image intensity inside each class,
 * computed on the input's own grid from the scaled float32 voxels. One pass over the data,
 * split into fixed blocks of slices that run in parallel; block results are combined in slice
 * order, so the sums and therefore the output do not depend on the number of threads.
 * Arrays are flat {@code (z, y, x)} (x fastest); label values are unsigned.
 */
public final class ClassStatistics {
    /**
     * A mask with a voxel closer than this to a face of the volume "touches the border"
     * (TotalSegmentator's rule for masks that are probably cut off by the field of view).
     */
    public static final int BORDER_MARGIN = 3;

    // Fixed, not derived from the core count, so that summation order is reproducible.
    private static final int SLICES_PER_BLOCK = 4;

    private ClassStatistics() {
    }

    /**
     * Statistics of a label map file over the image it was computed for, both as read by
     * {@code NiftiReader}: the image's scaled float32 values, its pixdim spacing (nibabel's
     * {@code get_zooms}, as TotalSegmentator uses) and labels of any 8- or 16-bit integer type
     * read as unsigned.
     *
     * @throws InvalidVolumeException {@code UNSUPPORTED_DIMENSIONS} for a 4-D input with more
     *                                than one frame, {@code INVALID_GEOMETRY} if the grids differ,
     *                                {@code UNSUPPORTED_DATATYPE} for labels wider than 16 bits
     */
    public static StatsReport compute(Volume image, Volume labels, List<String> classNames) {
        image.require3d();
        labels.require3d();
        if (image.nx() != labels.nx() || image.ny() != labels.ny() || image.nz() != labels.nz()) {
            throw new InvalidVolumeException(ErrorCode.INVALID_GEOMETRY, "label map grid "
                    + labels.nx() + "x" + labels.ny() + "x" + labels.nz() + " differs from image grid "
                    + image.nx() + "x" + image.ny() + "x" + image.nz());
        }
        int[] shape = {image.nz(), image.ny(), image.nx()};
        double[] xyz = image.spacing();
        double[] spacing = {xyz[2], xyz[1], xyz[0]};
        float[] values = image.toFloat32(0);
        return switch (labels.dataType()) {
            case UINT8, INT8 -> compute(values, labels.bytes(), shape, spacing, classNames);
            case UINT16, INT16 -> compute(values, labels.shorts(), shape, spacing, classNames);
            default -> throw new InvalidVolumeException(ErrorCode.UNSUPPORTED_DATATYPE,
                    "label maps must be 8- or 16-bit integers, got " + labels.dataType().numpyName());
        };
    }

    /** Statistics of an unsigned 8-bit label map; see {@link #compute(float[], short[], int[], double[], List)}. */
    public static StatsReport compute(float[] image, byte[] labels, int[] shape, double[] spacing,
                                      List<String> classNames) {
        check(image.length, labels.length, shape, spacing, classNames);
        return run(image, new ByteLabels(labels), shape, spacing, classNames);
    }

    /**
     * Statistics of an unsigned 16-bit label map.
     *
     * @param image      scaled input intensities, flat {@code (z, y, x)}
     * @param labels     label values (read as unsigned), same grid as {@code image}
     * @param shape      grid shape {@code (z, y, x)}
     * @param spacing    voxel spacing in mm {@code (z, y, x)}
     * @param classNames names indexed by label value; label 0 is background and not reported
     * @throws StunetException {@code INVALID_REQUEST} if a label has no class name or names
     *                         repeat, {@code INVALID_GEOMETRY} for a non-positive spacing,
     *                         {@code INTERNAL} if buffer sizes do not match the shape
     */
    public static StatsReport compute(float[] image, short[] labels, int[] shape, double[] spacing,
                                      List<String> classNames) {
        check(image.length, labels.length, shape, spacing, classNames);
        return run(image, new ShortLabels(labels), shape, spacing, classNames);
    }

    /** Voxel volume in mm³ from a {@code (z, y, x)} spacing, multiplied x * y * z like TotalSegmentator. */
    static double voxelVolume(double[] spacing) {
        return spacing[2] * spacing[1] * spacing[0];
    }

    private static StatsReport run(float[] image, LabelRows labels, int[] shape, double[] spacing,
                                   List<String> classNames) {
        int nz = shape[0];
        int classes = classNames.size();
        int blocks = (nz + SLICES_PER_BLOCK - 1) / SLICES_PER_BLOCK;
        List<Block> results = IntStream.range(0, blocks).parallel()
                .mapToObj(b -> scan(image, labels, shape, classes, b * SLICES_PER_BLOCK,
                        Math.min(nz, (b + 1) * SLICES_PER_BLOCK)))
                .toList();

        Block total = new Block(classes);
        for (Block block : results) {
            total.add(block);
        }
        if (total.outOfRange >= 0) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "label value " + total.outOfRange
                    + " has no class name (" + classes + " classes)");
        }

        double voxelVolume = voxelVolume(spacing);
        List<ClassStat> stats = new ArrayList<>(classes - 1);
        for (int k = 1; k < classes; k++) {
            long n = total.count[k];
            double mean = n == 0 ? 0.0 : total.sum[k] / n;
            stats.add(new ClassStat(k, classNames.get(k), n, n * voxelVolume, mean, total.touches[k]));
        }
        return new StatsReport(shape, spacing, classNames, stats);
    }

    private static Block scan(float[] image, LabelRows labels, int[] shape, int classes, int z0, int z1) {
        int ny = shape[1];
        int nx = shape[2];
        int nz = shape[0];
        Block acc = new Block(classes);
        int[] row = new int[nx];
        int edge = Math.min(BORDER_MARGIN, nx);
        int inner = Math.max(edge, nx - BORDER_MARGIN);
        for (int z = z0; z < z1; z++) {
            boolean borderZ = z < BORDER_MARGIN || z >= nz - BORDER_MARGIN;
            for (int y = 0; y < ny; y++) {
                int offset = (z * ny + y) * nx;
                labels.copyRow(offset, row);
                if (borderZ || y < BORDER_MARGIN || y >= ny - BORDER_MARGIN) {
                    acc.accumulate(image, offset, row, 0, nx, true);
                } else {
                    acc.accumulate(image, offset, row, 0, edge, true);
                    acc.accumulate(image, offset, row, edge, inner, false);
                    acc.accumulate(image, offset, row, inner, nx, true);
                }
            }
        }
        return acc;
    }

    private static void check(int imageLength, int labelLength, int[] shape, double[] spacing,
                              List<String> classNames) {
        if (shape.length != 3 || spacing.length != 3) {
            throw new StunetException(ErrorCode.INTERNAL, "shape and spacing must have 3 entries (z, y, x)");
        }
        long voxels = 1;
        for (int n : shape) {
            if (n <= 0) {
                throw new StunetException(ErrorCode.INTERNAL, "non-positive grid dimension " + n);
            }
            voxels *= n;
        }
        if (voxels != imageLength || voxels != labelLength) {
            throw new StunetException(ErrorCode.INTERNAL, "grid of " + voxels + " voxels but image has "
                    + imageLength + " and labels " + labelLength);
        }
        for (double s : spacing) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new StunetException(ErrorCode.INVALID_GEOMETRY, "spacing must be positive and finite");
            }
        }
        if (classNames.isEmpty()) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "no class names");
        }
        Set<String> seen = new HashSet<>();
        for (String name : classNames) {
            if (!seen.add(name)) {
                throw new StunetException(ErrorCode.INVALID_REQUEST, "class name repeated: " + name);
            }
        }
    }

    /** Label buffers of either width, widened one row at a time so the hot loop is shared. */
    private interface LabelRows {
        void copyRow(int offset, int[] row);
    }

    private record ByteLabels(byte[] data) implements LabelRows {
        @Override
        public void copyRow(int offset, int[] row) {
            for (int i = 0; i < row.length; i++) {
                row[i] = data[offset + i] & 0xFF;
            }
        }
    }

    private record ShortLabels(short[] data) implements LabelRows {
        @Override
        public void copyRow(int offset, int[] row) {
            for (int i = 0; i < row.length; i++) {
                row[i] = data[offset + i] & 0xFFFF;
            }
        }
    }

    /** Sums over a block of slices; {@code outOfRange} keeps the largest label without a class. */
    private static final class Block {
        final long[] count;
        final double[] sum;
        final boolean[] touches;
        int outOfRange = -1;

        Block(int classes) {
            count = new long[classes];
            sum = new double[classes];
            touches = new boolean[classes];
        }

        /**
         * Adds voxels {@code from..to} of one row. Labels come in runs, so each run is summed
         * in a local variable and added once: summing into {@code sum[label]} voxel by voxel
         * would chain every addition through memory. Background is counted but not summed,
         * since it is never reported.
         */
        void accumulate(float[] image, int offset, int[] row, int from, int to, boolean border) {
            int classes = count.length;
            int x = from;
            while (x < to) {
                int label = row[x];
                int start = x;
                if (label == 0) {
                    while (x < to && row[x] == 0) {
                        x++;
                    }
                    count[0] += x - start;
                    continue;
                }
                double run = 0;
                while (x < to && row[x] == label) {
                    run += image[offset + x];
                    x++;
                }
                if (label < classes) {
                    count[label] += x - start;
                    sum[label] += run;
                    touches[label] |= border;
                } else if (label > outOfRange) {
                    outOfRange = label;
                }
            }
        }

        void add(Block other) {
            for (int k = 0; k < count.length; k++) {
                count[k] += other.count[k];
                sum[k] += other.sum[k];
                touches[k] |= other.touches[k];
            }
            outOfRange = Math.max(outOfRange, other.outOfRange);
        }
    }
}
