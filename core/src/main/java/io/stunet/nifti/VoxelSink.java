package io.stunet.nifti;

import io.stunet.volume.DataType;
import io.stunet.volume.Float32Converter;
import io.stunet.volume.Volume;
import java.nio.ByteBuffer;
import java.util.stream.IntStream;

/**
 * Receives voxel bytes in file order and decodes them, in bulk, into the volume being
 * built: either the stored type (one typed bulk copy per chunk) or scaled float32, with the
 * Vector API straight from the bytes where the converter has a vector form, otherwise
 * through a small cache-resident scratch array of the stored type.
 */
final class VoxelSink {
    /** Voxels per decode step: the scratch array stays in L2. */
    private static final int SCRATCH = 1 << 15;
    /** Voxels per parallel task when a whole mapped region is available. */
    private static final int TASK = 1 << 20;

    private final NiftiHeader header;
    private final DataType type;
    private final Volume volume;
    private final Float32Converter converter;

    VoxelSink(NiftiHeader header, boolean toFloat) {
        this.header = header;
        this.type = header.dataType();
        if (toFloat) {
            this.volume = Volume.allocate(header.withDataType(DataType.FLOAT32));
            this.converter = new Float32Converter(type, header.hasScaling(), header.sclSlope(), header.sclInter());
        } else {
            this.volume = Volume.allocate(header);
            this.converter = null;
        }
    }

    /** The datatype of the bytes being received (the file's). */
    DataType storedType() {
        return type;
    }

    Volume volume() {
        return volume;
    }

    /** Decodes {@code n} voxels from {@code src} (position 0 = voxel {@code pos}), splitting the work over cores. */
    void acceptParallel(ByteBuffer src, int pos, int n) {
        int tasks = (n + TASK - 1) / TASK;
        if (tasks <= 1) {
            accept(src, pos, n);
            return;
        }
        int elem = type.bytes();
        IntStream.range(0, tasks).parallel().forEach(t -> {
            int from = t * TASK;
            int len = Math.min(TASK, n - from);
            accept(src.slice(from * elem, len * elem), pos + from, len);
        });
    }

    /** Decodes {@code n} voxels from the start of {@code src} into voxels {@code pos...}. */
    void accept(ByteBuffer src, int pos, int n) {
        src.order(header.byteOrder());
        if (converter == null) {
            bulkGet(src, 0, volume.data(), pos, n);
            return;
        }
        float[] dst = volume.floats();
        if (converter.vectorized()) {
            converter.convertBuffer(src, dst, pos, n);
            return;
        }
        Object scratch = scratch(Math.min(SCRATCH, n));
        int elem = type.bytes();
        for (int done = 0; done < n; done += SCRATCH) {
            int k = Math.min(SCRATCH, n - done);
            bulkGet(src, done * elem, scratch, 0, k);
            converter.convertRange(scratch, 0, dst, pos + done, k);
        }
    }

    private Object scratch(int n) {
        return switch (type) {
            case UINT8, INT8 -> new byte[n];
            case INT16, UINT16 -> new short[n];
            case INT32, UINT32 -> new int[n];
            case INT64 -> new long[n];
            case FLOAT32 -> new float[n];
            case FLOAT64 -> new double[n];
        };
    }

    private void bulkGet(ByteBuffer src, int byteOffset, Object dst, int pos, int n) {
        ByteBuffer b = src.slice(byteOffset, n * type.bytes()).order(header.byteOrder());
        switch (type) {
            case UINT8, INT8 -> b.get((byte[]) dst, pos, n);
            case INT16, UINT16 -> b.asShortBuffer().get((short[]) dst, pos, n);
            case INT32, UINT32 -> b.asIntBuffer().get((int[]) dst, pos, n);
            case INT64 -> b.asLongBuffer().get((long[]) dst, pos, n);
            case FLOAT32 -> b.asFloatBuffer().get((float[]) dst, pos, n);
            case FLOAT64 -> b.asDoubleBuffer().get((double[]) dst, pos, n);
            default -> throw new IllegalStateException(type.toString());
        }
    }
}
