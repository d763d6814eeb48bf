package io.stunet.infer.service;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.window.VolumeSource;

/**
 * A {@link VolumeSource} with the whole case's shape that holds only planes
 * {@code [zStart, zEnd)} of every channel: what an infer worker range-reads from the
 * claim-check store for one slab. The sliding window only reads planes that the slab's tiles
 * cover, so a read outside the range is a bug in the slab plan ({@code INTERNAL}), not a
 * reason to fetch more.
 */
final class SlabRangeSource implements VolumeSource {
    private final float[][] channels;
    private final int[] shape;
    private final int zStart;
    private final int zEnd;

    /** @param channels per channel, planes {@code [zStart, zEnd)} in (z, y, x) C order */
    SlabRangeSource(float[][] channels, int[] shape, int zStart, int zEnd) {
        this.channels = channels;
        this.shape = shape.clone();
        this.zStart = zStart;
        this.zEnd = zEnd;
    }

    @Override
    public int channels() {
        return channels.length;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public void readRow(int c, int z, int y, int x0, float[] dst) {
        if (z < zStart || z >= zEnd) {
            throw new StunetException(ErrorCode.INTERNAL, "slab reads plane " + z + " outside its range ["
                    + zStart + ", " + zEnd + ")");
        }
        System.arraycopy(channels[c], ((z - zStart) * shape[1] + y) * shape[2] + x0, dst, 0, dst.length);
    }
}
