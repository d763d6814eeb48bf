package io.stunet.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Vector API conversion ({@link Float32Converter#convertBuffer}) gives the scalar converter's bits for every type it covers,
 * both byte orders, heap and direct buffers, with and without scaling, and lengths that are
 * not multiples of the vector length. The scalar {@link Float32Converter#convertRange} is
 * the oracle; inputs are random bit patterns (every float32 class: NaNs, infinities,
 * subnormals).
 */
class Float32VectorsTest {
    private static final List<DataType> COVERED = List.of(DataType.UINT8, DataType.INT8, DataType.INT16,
            DataType.UINT16, DataType.FLOAT32);
    /** The last is long enough for the JIT to compile the vector loops, so the intrinsics are checked too. */
    private static final int[] LENGTHS = {0, 1, 7, 8, 9, 15, 17, 1000, 4099, (1 << 17) + 5};
    /** Where in {@code dst} the conversion starts, so that stores need not be aligned. */
    private static final int DST_OFFSET = 3;

    @Test
    void vectorConversionEqualsScalarBitForBit() {
        assumeTrue(new Float32Converter(DataType.INT16, false, 1, 0).vectorized(),
                "no Vector API module or no 256-bit vectors in this JVM: the scalar path is the only one");
        Random random = new Random(20261126);
        for (DataType type : COVERED) {
            for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
                for (boolean direct : new boolean[] {false, true}) {
                    for (int n : LENGTHS) {
                        byte[] raw = new byte[n * type.bytes()];
                        random.nextBytes(raw);
                        ByteBuffer src = direct ? ByteBuffer.allocateDirect(raw.length) : ByteBuffer.allocate(raw.length);
                        src.put(raw).clear().order(order);
                        Object stored = decodeScalar(type, src, n);
                        // Unscaled, then random slopes and intercepts of both signs and wide range.
                        check(new Float32Converter(type, false, 1, 0), src, stored, n, type + " " + order
                                + (direct ? " direct" : " heap") + " n=" + n + " unscaled");
                        for (int k = 0; k < 3; k++) {
                            double slope = (random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(7) - 3);
                            double inter = (random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(7) - 3);
                            check(new Float32Converter(type, true, slope, inter), src, stored, n, type + " " + order
                                    + (direct ? " direct" : " heap") + " n=" + n + " slope=" + slope + " inter=" + inter);
                        }
                    }
                }
            }
        }
    }

    @Test
    void typesScaledInDoubleAreNotVectorized() {
        for (DataType type : List.of(DataType.INT32, DataType.UINT32, DataType.INT64, DataType.FLOAT64)) {
            assertFalse(new Float32Converter(type, false, 1, 0).vectorized(), type.toString());
            assertFalse(new Float32Converter(type, true, 2, 1).vectorized(), type.toString());
        }
    }

    private static void check(Float32Converter converter, ByteBuffer src, Object stored, int n, String what) {
        assertTrue(converter.vectorized(), what);
        float[] expected = new float[n + DST_OFFSET];
        float[] actual = new float[n + DST_OFFSET];
        converter.convertRange(stored, 0, expected, DST_OFFSET, n);
        converter.convertBuffer(src, actual, DST_OFFSET, n);
        assertArrayEquals(bits(expected), bits(actual), what);
    }

    /** The stored-type array the scalar path converts, as the NIfTI reader's bulk copy makes it. */
    private static Object decodeScalar(DataType type, ByteBuffer src, int n) {
        ByteBuffer b = src.duplicate().order(src.order());
        return switch (type) {
            case UINT8, INT8 -> {
                byte[] a = new byte[n];
                b.get(a);
                yield a;
            }
            case INT16, UINT16 -> {
                short[] a = new short[n];
                b.asShortBuffer().get(a);
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                b.asFloatBuffer().get(a);
                yield a;
            }
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static int[] bits(float[] f) {
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
    }
}
