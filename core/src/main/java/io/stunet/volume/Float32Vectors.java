package io.stunet.volume;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link Float32Converter}'s conversion, reading voxels straight from
 * a byte buffer in its byte order: eight voxels per step, widened to float32 and scaled with
 * a separate multiply and add (no fused multiply-add), so every lane rounds exactly as the
 * scalar loop does. Only the types scaled in float are covered ((u)int8, (u)int16, float32);
 * the rest go through the scalar converter. Loaded only when {@link io.stunet.simd.Simd#available()}.
 */
final class Float32Vectors {
    /** Eight lanes in every species, so one load of any stored type fills one float vector. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final int LANES = F.length();

    private Float32Vectors() {
    }

    /**
     * Whether the conversion of {@code type} is done here: a type scaled in float, on a CPU
     * with 256-bit vectors (elsewhere the eight-lane species would be emulated, slower than
     * the scalar loop).
     */
    static boolean supports(DataType type) {
        boolean typeCovered = switch (type) {
            case UINT8, INT8, INT16, UINT16, FLOAT32 -> true;
            default -> false;
        };
        return typeCovered && FloatVector.SPECIES_PREFERRED.vectorBitSize() >= F.vectorBitSize();
    }

    /**
     * Converts the {@code n} voxels at the start of {@code src} (absolute offsets, the
     * buffer's byte order) into {@code dst[d..d+n)}, scaling when {@code scaled}.
     */
    static void convert(DataType type, boolean scaled, float slope, float inter, ByteBuffer src, float[] dst,
            int d, int n) {
        ByteOrder order = src.order();
        int bound = n - n % LANES;
        int i = 0;
        switch (type) {
            case INT16 -> {
                for (; i < bound; i += LANES) {
                    FloatVector f = (FloatVector) ShortVector.fromByteBuffer(S, src, 2 * i, order)
                            .convertShape(VectorOperators.S2F, F, 0);
                    store(f, scaled, slope, inter, dst, d + i);
                }
                for (; i < n; i++) {
                    dst[d + i] = scale(src.getShort(2 * i), scaled, slope, inter);
                }
            }
            case UINT16 -> {
                for (; i < bound; i += LANES) {
                    IntVector v = (IntVector) ShortVector.fromByteBuffer(S, src, 2 * i, order)
                            .convertShape(VectorOperators.S2I, I, 0);
                    store((FloatVector) v.and(0xffff).convert(VectorOperators.I2F, 0), scaled, slope, inter, dst,
                            d + i);
                }
                for (; i < n; i++) {
                    dst[d + i] = scale(src.getShort(2 * i) & 0xffff, scaled, slope, inter);
                }
            }
            case INT8 -> {
                for (; i < bound; i += LANES) {
                    FloatVector f = (FloatVector) ByteVector.fromByteBuffer(B, src, i, order)
                            .convertShape(VectorOperators.B2F, F, 0);
                    store(f, scaled, slope, inter, dst, d + i);
                }
                for (; i < n; i++) {
                    dst[d + i] = scale(src.get(i), scaled, slope, inter);
                }
            }
            case UINT8 -> {
                for (; i < bound; i += LANES) {
                    IntVector v = (IntVector) ByteVector.fromByteBuffer(B, src, i, order)
                            .convertShape(VectorOperators.B2I, I, 0);
                    store((FloatVector) v.and(0xff).convert(VectorOperators.I2F, 0), scaled, slope, inter, dst,
                            d + i);
                }
                for (; i < n; i++) {
                    dst[d + i] = scale(src.get(i) & 0xff, scaled, slope, inter);
                }
            }
            case FLOAT32 -> {
                for (; i < bound; i += LANES) {
                    store(FloatVector.fromByteBuffer(F, src, 4 * i, order), scaled, slope, inter, dst, d + i);
                }
                for (; i < n; i++) {
                    dst[d + i] = scale(src.getFloat(4 * i), scaled, slope, inter);
                }
            }
            default -> throw new IllegalArgumentException(type + " is not converted with vectors");
        }
    }

    private static void store(FloatVector f, boolean scaled, float slope, float inter, float[] dst, int at) {
        if (scaled) {
            f = f.mul(slope).add(inter);
        }
        f.intoArray(dst, at);
    }

    /** The scalar converter's arithmetic: {@code v * slope} rounded to float, then {@code + inter} rounded. */
    private static float scale(float v, boolean scaled, float slope, float inter) {
        if (!scaled) {
            return v;
        }
        float m = v * slope;
        return m + inter;
    }
}
