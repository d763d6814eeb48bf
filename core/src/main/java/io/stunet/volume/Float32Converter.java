package io.stunet.volume;

import io.stunet.simd.Simd;
import java.nio.ByteBuffer;
import java.util.stream.IntStream;

/**
 * Turns stored voxels into scaled float32 exactly as nibabel's
 * {@code get_fdata(dtype=np.float32)} does: no scaling when scl_slope is 0, non-finite or
 * the identity; otherwise types that numpy promotes with a float32 slope to float32
 * ((u)int8, (u)int16, float32) are scaled in float ({@code v * slope} rounded, then
 * {@code + inter} rounded) and the others in double, then rounded once. Shared by
 * {@link Volume#toFloat32(int)} and the NIfTI reader's direct-to-float32 path so both give
 * the same bits. Large ranges are split over the common fork-join pool. Stored bytes of the
 * types scaled in float can also be converted with the Vector API ({@link #convertBuffer},
 * same bits); the array path stays scalar, the fallback and the tests' oracle.
 */
public final class Float32Converter {
    /** Below this many voxels a single thread is faster than forking. */
    private static final int PARALLEL_CHUNK = 1 << 20;

    private final DataType type;
    private final boolean scaled;
    private final boolean inFloat;
    private final float fslope;
    private final float finter;
    private final double dslope;
    private final double dinter;
    private final boolean vectorized;

    /**
     * @param scaled whether to apply {@code slope}/{@code inter} (the header's
     *               {@code hasScaling()})
     */
    public Float32Converter(DataType type, boolean scaled, double slope, double inter) {
        this.type = type;
        this.scaled = scaled;
        this.inFloat = type == DataType.UINT8 || type == DataType.INT8 || type == DataType.INT16
                || type == DataType.UINT16 || type == DataType.FLOAT32;
        // nibabel casts the slope and intercept to float32 before scaling for a float32 result.
        this.fslope = (float) slope;
        this.finter = (float) inter;
        this.dslope = fslope;
        this.dinter = finter;
        // Simd is asked first so that Float32Vectors is never loaded without the Vector API.
        this.vectorized = Simd.available() && Float32Vectors.supports(type);
    }

    /**
     * Whether {@link #convertBuffer} can be used: the Vector API is present, the CPU has
     * 256-bit vectors, and the type is one scaled in float ((u)int8, (u)int16, float32),
     * whose vector form gives the same bits as the scalar loop.
     */
    public boolean vectorized() {
        return vectorized;
    }

    /**
     * Converts the {@code n} voxels at the start of {@code src}, stored in the buffer's byte
     * order, into {@code dst[d..d+n)} with the Vector API; single-threaded. Only when
     * {@link #vectorized()}.
     */
    public void convertBuffer(ByteBuffer src, float[] dst, int d, int n) {
        if (!vectorized) {
            throw new IllegalStateException(type + " is not converted with vectors here");
        }
        Float32Vectors.convert(type, scaled, fslope, finter, src, dst, d, n);
    }

    /** Converts {@code n} voxels of {@code src} (the primitive array of {@code type}) from srcOff into dst[dstOff..]. */
    public void convert(Object src, int srcOff, float[] dst, int dstOff, int n) {
        if (n >= 2 * PARALLEL_CHUNK) {
            int chunks = (n + PARALLEL_CHUNK - 1) / PARALLEL_CHUNK;
            IntStream.range(0, chunks).parallel().forEach(c -> {
                int from = c * PARALLEL_CHUNK;
                int len = Math.min(PARALLEL_CHUNK, n - from);
                convertRange(src, srcOff + from, dst, dstOff + from, len);
            });
        } else {
            convertRange(src, srcOff, dst, dstOff, n);
        }
    }

    /** Single-threaded conversion of one range. */
    public void convertRange(Object src, int s, float[] dst, int d, int n) {
        if (scaled && !inFloat) {
            convertInDouble(src, s, dst, d, n);
            return;
        }
        switch (type) {
            case UINT8 -> {
                byte[] a = (byte[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = a[s + i] & 0xff;
                }
            }
            case INT8 -> {
                byte[] a = (byte[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = a[s + i];
                }
            }
            case INT16 -> {
                short[] a = (short[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = a[s + i];
                }
            }
            case UINT16 -> {
                short[] a = (short[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = a[s + i] & 0xffff;
                }
            }
            case INT32 -> {
                int[] a = (int[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = a[s + i];
                }
            }
            case UINT32 -> {
                int[] a = (int[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = a[s + i] & 0xffffffffL;
                }
            }
            case INT64 -> {
                long[] a = (long[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = a[s + i];
                }
            }
            case FLOAT32 -> System.arraycopy(src, s, dst, d, n);
            case FLOAT64 -> {
                double[] a = (double[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = (float) a[s + i];
                }
            }
            default -> throw new IllegalStateException(type.toString());
        }
        if (scaled) {
            float slope = fslope;
            float inter = finter;
            for (int i = d; i < d + n; i++) {
                float v = dst[i] * slope;
                dst[i] = v + inter;
            }
        }
    }

    private void convertInDouble(Object src, int s, float[] dst, int d, int n) {
        double slope = dslope;
        double inter = dinter;
        switch (type) {
            case INT32 -> {
                int[] a = (int[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = (float) (a[s + i] * slope + inter);
                }
            }
            case UINT32 -> {
                int[] a = (int[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = (float) ((a[s + i] & 0xffffffffL) * slope + inter);
                }
            }
            case INT64 -> {
                long[] a = (long[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = (float) (a[s + i] * slope + inter);
                }
            }
            case FLOAT64 -> {
                double[] a = (double[]) src;
                for (int i = 0; i < n; i++) {
                    dst[d + i] = (float) (a[s + i] * slope + inter);
                }
            }
            default -> throw new IllegalStateException(type.toString());
        }
    }
}
