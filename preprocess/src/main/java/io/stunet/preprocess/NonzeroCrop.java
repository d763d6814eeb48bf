package io.stunet.preprocess;

import io.stunet.resample.Parallel;
import io.stunet.resample.Shapes;

/**
 * nnU-Net v1's {@code crop_to_nonzero}: the mask is the OR over channels of {@code voxel != 0},
 * hole-filled like {@code binary_fill_holes}; the bounding box is [min, max + 1) per axis.
 * An all-zero volume (where nnU-Net raises) keeps the whole volume: the box is the full shape
 * and the mask is empty.
 *
 * @param mask  the hole-filled nonzero mask over the uncropped (z, y, x) grid
 * @param bbox  [start, end) per (z, y, x) axis
 * @param shape the uncropped shape
 */
public record NonzeroCrop(boolean[] mask, int[][] bbox, int[] shape) {

    /** Computes mask and box over all channels (each a flat (z, y, x) buffer of {@code shape}). */
    public static NonzeroCrop of(float[][] channels, int[] shape) {
        int n = Shapes.voxels(shape);
        for (float[] c : channels) {
            Shapes.checkLength(c.length, shape);
        }
        int nz = shape[0];
        int ny = shape[1];
        int nx = shape[2];
        int plane = ny * nx;
        boolean[] nonzero = new boolean[n];
        int[] zeros = new int[nz];
        Parallel.forRange(nz, (from, to) -> {
            for (int z = from; z < to; z++) {
                int count = 0;
                for (int i = z * plane; i < (z + 1) * plane; i++) {
                    boolean any = false;
                    for (float[] c : channels) {
                        // NaN != 0 holds in numpy too, so NaN voxels count as nonzero
                        any |= c[i] != 0f;
                    }
                    nonzero[i] = any;
                    count += any ? 0 : 1;
                }
                zeros[z] = count;
            }
        });
        // Real CTs are nonzero everywhere (air is -1000): nothing to fill, nothing to crop.
        boolean dense = java.util.Arrays.stream(zeros).allMatch(c -> c == 0);
        boolean[] filled = dense ? nonzero : HoleFilling.fill(nonzero, shape);
        // per z-slice: y range and x range of the filled mask, in parallel
        int[][] slice = new int[nz][];
        Parallel.forRange(nz, (from, to) -> {
            for (int z = from; z < to; z++) {
                int ylo = Integer.MAX_VALUE;
                int yhi = -1;
                int xlo = Integer.MAX_VALUE;
                int xhi = -1;
                for (int y = 0; y < ny; y++) {
                    int row = z * plane + y * nx;
                    int first = -1;
                    for (int x = 0; x < nx; x++) {
                        if (filled[row + x]) {
                            first = x;
                            break;
                        }
                    }
                    if (first < 0) {
                        continue;
                    }
                    int last = first;
                    for (int x = nx - 1; x > first; x--) {
                        if (filled[row + x]) {
                            last = x;
                            break;
                        }
                    }
                    ylo = Math.min(ylo, y);
                    yhi = y;
                    xlo = Math.min(xlo, first);
                    xhi = Math.max(xhi, last);
                }
                slice[z] = yhi < 0 ? null : new int[] {ylo, yhi, xlo, xhi};
            }
        });
        int[] lo = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE};
        int[] hi = {-1, -1, -1};
        for (int z = 0; z < nz; z++) {
            int[] s = slice[z];
            if (s != null) {
                lo[0] = Math.min(lo[0], z);
                hi[0] = z;
                lo[1] = Math.min(lo[1], s[0]);
                hi[1] = Math.max(hi[1], s[1]);
                lo[2] = Math.min(lo[2], s[2]);
                hi[2] = Math.max(hi[2], s[3]);
            }
        }
        int[][] bbox = new int[3][];
        for (int a = 0; a < 3; a++) {
            bbox[a] = hi[a] < 0 ? new int[] {0, shape[a]} : new int[] {lo[a], hi[a] + 1};
        }
        return new NonzeroCrop(filled, bbox, shape.clone());
    }

    /** The (z, y, x) shape of the box. */
    public int[] croppedShape() {
        return new int[] {bbox[0][1] - bbox[0][0], bbox[1][1] - bbox[1][0], bbox[2][1] - bbox[2][0]};
    }

    /** Copies the box out of a buffer of the uncropped shape. */
    public float[] crop(float[] data) {
        Shapes.checkLength(data.length, shape);
        int[] c = croppedShape();
        float[] out = new float[Shapes.voxels(c)];
        for (int z = 0; z < c[0]; z++) {
            for (int y = 0; y < c[1]; y++) {
                int src = ((z + bbox[0][0]) * shape[1] + y + bbox[1][0]) * shape[2] + bbox[2][0];
                System.arraycopy(data, src, out, (z * c[1] + y) * c[2], c[2]);
            }
        }
        return out;
    }

    /**
     * The cropped mask as nnU-Net's nonzero "segmentation" in unsigned label form: 1 inside the
     * filled mask (nnU-Net's 0), 0 outside (nnU-Net's -1). The label order is the same, so the
     * per-label order-1 resampling treats it as nnU-Net treats {-1, 0}.
     */
    public short[] croppedMaskLabels() {
        int[] c = croppedShape();
        short[] out = new short[Shapes.voxels(c)];
        int o = 0;
        for (int z = 0; z < c[0]; z++) {
            for (int y = 0; y < c[1]; y++) {
                int src = ((z + bbox[0][0]) * shape[1] + y + bbox[1][0]) * shape[2] + bbox[2][0];
                for (int x = 0; x < c[2]; x++) {
                    out[o++] = (short) (mask[src + x] ? 1 : 0);
                }
            }
        }
        return out;
    }
}
