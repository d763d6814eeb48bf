package io.stunet.tiling;

/**
 * {@code exp(x)} for float from IEEE-exact operations only (fused multiply-add, add, multiply,
 * conversions): Cephes' {@code expf} range reduction (to the nearest integer power of two, via the 1.5 * 2^23 rounding trick rather than a float-to-int conversion, which HotSpot 17 does not vectorize) and degree-5 polynomial, about 1 ulp from
 * the true value. Not {@code Math.exp}: the softmax must give the same bits whether the SIMD or
 * the scalar kernel runs, and whether HotSpot has compiled the kernel yet (the Vector API's
 * {@code EXP} is SVML when compiled and a per-lane {@code Math.exp} before, which differ in the
 * last bit), because the tiling guarantee compares voxels computed at different times.
 * {@link VectorHeadRows} evaluates the same steps lane-wise.
 */
final class FastExp {
    static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split in two so that {@code t * LN2_HI} is exact for the |t| that occur. */
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    static final float P0 = 1.9875691500e-4f;
    static final float P1 = 1.3981999507e-3f;
    static final float P2 = 8.3334519073e-3f;
    static final float P3 = 4.1665795894e-2f;
    static final float P4 = 1.6666665459e-1f;
    static final float P5 = 5.0000001201e-1f;
    /** Below this, 2^n would be subnormal; the result is clamped to about 1.2e-38 instead. */
    static final float MIN_ARG = -87.3365447505f;
    static final float MAX_ARG = 88.0f;
    /** 1.5 * 2^23: adding it rounds to an integer (ties to even) kept in the low mantissa bits. */
    static final float ROUND = 12582912f;
    static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);

    private FastExp() {
    }

    static float exp(float x) {
        x = Math.min(Math.max(x, MIN_ARG), MAX_ARG);
        float a = Math.fma(x, LOG2E, ROUND);
        float t = a - ROUND;
        float r = Math.fma(t, -LN2_HI, x);
        r = Math.fma(t, -LN2_LO, r);
        float z = r * r;
        float y = Math.fma(P0, r, P1);
        y = Math.fma(y, r, P2);
        y = Math.fma(y, r, P3);
        y = Math.fma(y, r, P4);
        y = Math.fma(y, r, P5);
        y = Math.fma(y, z, r) + 1f;
        int n = Float.floatToRawIntBits(a) - ROUND_BITS;
        return y * Float.intBitsToFloat((n + 127) << 23);
    }
}
