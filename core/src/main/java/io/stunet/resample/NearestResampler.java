package io.stunet.resample;

/**
 * Order-0 resampling as scipy computes it for {@code zoom(order=0, mode='nearest',
 * grid_mode=True)} (skimage {@code resize(order=0)}) and for nnU-Net's
 * {@code map_coordinates(order=0, mode='nearest')} along the separate-z axis: the source of
 * output index {@code k} is {@code floor(cc + 0.5)} with {@code cc = (k + 0.5) * in / out - 0.5},
 * clamped to the input. Both scipy paths perform the same floating-point operations, so one
 * index table serves both. Used for label maps (export mode {@code nearest}) and for the z
 * step of the separate-z data path.
 */
public final class NearestResampler {
    private NearestResampler() {
    }

    /** Source index of every output position along one axis. */
    public static int[] indices(int in, int out) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("axis lengths must be positive: " + in + " -> " + out);
        }
        int[] idx = new int[out];
        double zoom = (double) in / (double) out;
        for (int k = 0; k < out; k++) {
            double cc = k;
            cc += 0.5;
            cc *= zoom;
            cc -= 0.5;
            long s = (long) Math.floor(cc + 0.5);
            idx[k] = (int) Math.max(0, Math.min(in - 1, s));
        }
        return idx;
    }

    /** Resamples a float volume of shape (z, y, x) to {@code outShape}. */
    public static float[] resample(float[] data, int[] shape, int[] outShape) {
        Shapes.checkLength(data.length, shape);
        int[] iz = indices(shape[0], outShape[0]);
        int[] iy = indices(shape[1], outShape[1]);
        int[] ix = indices(shape[2], outShape[2]);
        float[] out = new float[Shapes.voxels(outShape)];
        int ny = shape[1];
        int nx = shape[2];
        int oy = outShape[1];
        int ox = outShape[2];
        Parallel.forRange(outShape[0], (from, to) -> {
            for (int k = from; k < to; k++) {
                for (int j = 0; j < oy; j++) {
                    int src = (iz[k] * ny + iy[j]) * nx;
                    int dst = (k * oy + j) * ox;
                    for (int i = 0; i < ox; i++) {
                        out[dst + i] = data[src + ix[i]];
                    }
                }
            }
        });
        return out;
    }

    /** Resamples an unsigned 16-bit label map of shape (z, y, x) to {@code outShape}. */
    public static short[] resample(short[] data, int[] shape, int[] outShape) {
        Shapes.checkLength(data.length, shape);
        int[] iz = indices(shape[0], outShape[0]);
        int[] iy = indices(shape[1], outShape[1]);
        int[] ix = indices(shape[2], outShape[2]);
        short[] out = new short[Shapes.voxels(outShape)];
        int ny = shape[1];
        int nx = shape[2];
        int oy = outShape[1];
        int ox = outShape[2];
        Parallel.forRange(outShape[0], (from, to) -> {
            for (int k = from; k < to; k++) {
                for (int j = 0; j < oy; j++) {
                    int src = (iz[k] * ny + iy[j]) * nx;
                    int dst = (k * oy + j) * ox;
                    for (int i = 0; i < ox; i++) {
                        out[dst + i] = data[src + ix[i]];
                    }
                }
            }
        });
        return out;
    }

    /** Resamples an unsigned 8-bit label map of shape (z, y, x) to {@code outShape}. */
    public static byte[] resample(byte[] data, int[] shape, int[] outShape) {
        Shapes.checkLength(data.length, shape);
        int[] iz = indices(shape[0], outShape[0]);
        int[] iy = indices(shape[1], outShape[1]);
        int[] ix = indices(shape[2], outShape[2]);
        byte[] out = new byte[Shapes.voxels(outShape)];
        int ny = shape[1];
        int nx = shape[2];
        int oy = outShape[1];
        int ox = outShape[2];
        Parallel.forRange(outShape[0], (from, to) -> {
            for (int k = from; k < to; k++) {
                for (int j = 0; j < oy; j++) {
                    int src = (iz[k] * ny + iy[j]) * nx;
                    int dst = (k * oy + j) * ox;
                    for (int i = 0; i < ox; i++) {
                        out[dst + i] = data[src + ix[i]];
                    }
                }
            }
        });
        return out;
    }
}
