package io.stunet.volume;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidVolumeException;
import io.stunet.geometry.Affine;
import io.stunet.nifti.NiftiHeader;
import java.util.Arrays;

/**
 * A NIfTI image in memory: its header and its voxels in one primitive array of the file's
 * own datatype ({@code byte[]} for (u)int8, {@code short[]} for (u)int16, {@code int[]} for
 * (u)int32, {@code long[]}, {@code float[]}, {@code double[]}), x-fastest, frames one
 * after another, so a frame is a C-order (z, y, x) array. Unsigned types are stored in the
 * signed array of the same width and read unsigned. Scaled values (scl_slope/scl_inter)
 * are produced on demand by {@link #toFloat32(int)} and {@link #toFloat64(int)}.
 */
public final class Volume {
    private final NiftiHeader header;
    private final Object data;

    private Volume(NiftiHeader header, Object data) {
        this.header = header;
        this.data = data;
    }

    /**
     * Wraps a primitive array matching {@code header.dataType()} (not copied) whose length is
     * the header's voxel count.
     */
    public static Volume wrap(NiftiHeader header, Object data) {
        DataType t = header.dataType();
        int length = switch (t) {
            case UINT8, INT8 -> data instanceof byte[] a ? a.length : -1;
            case INT16, UINT16 -> data instanceof short[] a ? a.length : -1;
            case INT32, UINT32 -> data instanceof int[] a ? a.length : -1;
            case INT64 -> data instanceof long[] a ? a.length : -1;
            case FLOAT32 -> data instanceof float[] a ? a.length : -1;
            case FLOAT64 -> data instanceof double[] a ? a.length : -1;
        };
        if (length < 0) {
            throw new IllegalArgumentException(t.numpyName() + " volume needs a different array type than "
                    + data.getClass().getSimpleName());
        }
        if (length != header.voxelCount()) {
            throw new IllegalArgumentException("array has " + length + " voxels, header declares "
                    + header.voxelCount());
        }
        return new Volume(header, data);
    }

    /** Allocates a zero-filled volume of the header's type and shape. */
    public static Volume allocate(NiftiHeader header) {
        long n = header.voxelCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new InvalidVolumeException(ErrorCode.VOLUME_TOO_LARGE, n + " voxels do not fit one array");
        }
        int len = (int) n;
        Object data = switch (header.dataType()) {
            case UINT8, INT8 -> new byte[len];
            case INT16, UINT16 -> new short[len];
            case INT32, UINT32 -> new int[len];
            case INT64 -> new long[len];
            case FLOAT32 -> new float[len];
            case FLOAT64 -> new double[len];
        };
        return new Volume(header, data);
    }

    public NiftiHeader header() {
        return header;
    }

    public DataType dataType() {
        return header.dataType();
    }

    /** Shape in nibabel order (nx, ny, nz[, nt]). */
    public int[] shape() {
        return header.shape();
    }

    public int nx() {
        return header.nx();
    }

    public int ny() {
        return header.ny();
    }

    public int nz() {
        return header.nz();
    }

    /** Number of 3-D frames (1 for a 3-D volume). */
    public int nt() {
        return header.nt();
    }

    /** Voxels per 3-D frame, nx * ny * nz. */
    public int frameSize() {
        return (int) header.voxelsPerFrame();
    }

    /** (sx, sy, sz) from pixdim. */
    public double[] spacing() {
        return header.spacing();
    }

    /** Voxel (i, j, k) to RAS+ millimetres, nibabel's rule (sform, else qform, else pixdim). */
    public Affine affine() {
        return header.affine();
    }

    /**
     * This volume if it is 3-D, or 4-D with a single frame; otherwise
     * {@link ErrorCode#UNSUPPORTED_DIMENSIONS}. The segmentation path calls this first.
     */
    public Volume require3d() {
        if (nt() == 1) {
            return this;
        }
        throw new InvalidVolumeException(ErrorCode.UNSUPPORTED_DIMENSIONS,
                "expected a 3-D volume, got shape " + Arrays.toString(shape()));
    }

    /** The voxel array itself (not a copy): one of byte[], short[], int[], long[], float[], double[]. */
    public Object data() {
        return data;
    }

    /** The voxels of a (u)int8 volume. */
    public byte[] bytes() {
        return cast(byte[].class);
    }

    /** The voxels of a (u)int16 volume. */
    public short[] shorts() {
        return cast(short[].class);
    }

    /** The voxels of a (u)int32 volume. */
    public int[] ints() {
        return cast(int[].class);
    }

    public long[] longs() {
        return cast(long[].class);
    }

    public float[] floats() {
        return cast(float[].class);
    }

    public double[] doubles() {
        return cast(double[].class);
    }

    private <T> T cast(Class<T> type) {
        if (!type.isInstance(data)) {
            throw new IllegalStateException(dataType().numpyName() + " volume is not stored as "
                    + type.getSimpleName());
        }
        return type.cast(data);
    }

    /** Raw stored value of voxel {@code index} (unsigned types read unsigned), without scaling. */
    public double rawValue(int index) {
        return switch (dataType()) {
            case UINT8 -> ((byte[]) data)[index] & 0xff;
            case INT8 -> ((byte[]) data)[index];
            case INT16 -> ((short[]) data)[index];
            case UINT16 -> ((short[]) data)[index] & 0xffff;
            case INT32 -> ((int[]) data)[index];
            case UINT32 -> ((int[]) data)[index] & 0xffffffffL;
            case INT64 -> ((long[]) data)[index];
            case FLOAT32 -> ((float[]) data)[index];
            case FLOAT64 -> ((double[]) data)[index];
        };
    }

    /**
     * Frame {@code t} as scaled float32 values, C order (z, y, x). Matches nibabel's
     * {@code get_fdata(dtype=np.float32)} bit for bit: types that numpy promotes with a
     * float32 slope to float32 ((u)int8, (u)int16, float32) are scaled in float, the others
     * in double and then rounded.
     */
    public float[] toFloat32(int t) {
        int n = frameSize();
        float[] out = new float[n];
        float32Converter().convert(data, frameOffset(t), out, 0, n);
        return out;
    }

    /** The conversion {@link #toFloat32(int)} applies (this volume's type and scaling). */
    public Float32Converter float32Converter() {
        return new Float32Converter(dataType(), header.hasScaling(), header.sclSlope(), header.sclInter());
    }

    /** Frame {@code t} as scaled float64 values, C order (z, y, x) (nibabel's {@code get_fdata()}). */
    public double[] toFloat64(int t) {
        int n = frameSize();
        int off = frameOffset(t);
        double[] out = new double[n];
        if (dataType() == DataType.FLOAT64) {
            System.arraycopy(data, off, out, 0, n);
        } else {
            for (int i = 0; i < n; i++) {
                out[i] = rawValue(off + i);
            }
        }
        if (header.hasScaling()) {
            double slope = header.sclSlope();
            double inter = header.sclInter();
            for (int i = 0; i < n; i++) {
                out[i] = out[i] * slope + inter;
            }
        }
        return out;
    }

    private int frameOffset(int t) {
        if (t < 0 || t >= nt()) {
            throw new IndexOutOfBoundsException("frame " + t + " of " + nt());
        }
        return t * frameSize();
    }

    @Override
    public String toString() {
        return "Volume[" + header + "]";
    }
}
