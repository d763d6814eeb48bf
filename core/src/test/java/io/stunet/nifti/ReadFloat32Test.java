package io.stunet.nifti;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.stunet.geometry.Affine;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code readFloat32} (parallel decoding of the mapped {@code .nii}, vectorized where the
 * type allows; the inflate path for {@code .nii.gz}) gives the bits of {@code read} followed
 * by {@code toFloat32}, the scalar conversion, for every datatype and byte order, scaled or
 * not, on files written by {@link NiftiWriter} from random voxels.
 */
class ReadFloat32Test {
    /** Just over one parallel task (2^20 voxels) and not a multiple of any vector length. */
    private static final int NX = 67;
    private static final int NY = 131;
    private static final int NZ = 127;

    @TempDir
    Path tmp;

    @Test
    void readFloat32EqualsReadThenToFloat32ForEveryTypeByteOrderAndScaling() {
        Random random = new Random(1126);
        for (DataType type : DataType.values()) {
            Volume unscaled = randomVolume(type, random);
            for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
                for (boolean scaled : new boolean[] {false, true}) {
                    NiftiHeader h = unscaled.header().withByteOrder(order);
                    if (scaled) {
                        h = h.withScaling(random.nextDouble() * 3 - 1.5, random.nextDouble() * 2000 - 1000);
                    }
                    Volume v = Volume.wrap(h, unscaled.data());
                    for (String ext : List.of(".nii", ".nii.gz")) {
                        Path file = tmp.resolve(type + "_" + order + (scaled ? "_scaled" : "") + ext);
                        NiftiWriter.write(file, v);
                        assertArrayEquals(bits(NiftiReader.read(file).toFloat32(0)),
                                bits(NiftiReader.readFloat32(file).floats()), file.getFileName().toString());
                    }
                }
            }
        }
    }

    /** Random bit patterns of the type: the whole value range, and NaNs and infinities for floats. */
    private static Volume randomVolume(DataType type, Random random) {
        NiftiHeader h = NiftiHeader.forGrid(NX, NY, NZ, Affine.diagonal(1, 1, 2, 0, 0, 0), type);
        byte[] raw = new byte[NX * NY * NZ * type.bytes()];
        random.nextBytes(raw);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        int n = NX * NY * NZ;
        Object data = switch (type) {
            case UINT8, INT8 -> raw;
            case INT16, UINT16 -> {
                short[] a = new short[n];
                b.asShortBuffer().get(a);
                yield a;
            }
            case INT32, UINT32 -> {
                int[] a = new int[n];
                b.asIntBuffer().get(a);
                yield a;
            }
            case INT64 -> {
                long[] a = new long[n];
                b.asLongBuffer().get(a);
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                b.asFloatBuffer().get(a);
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                b.asDoubleBuffer().get(a);
                yield a;
            }
        };
        return Volume.wrap(h, data);
    }

    private static int[] bits(float[] f) {
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
    }
}
