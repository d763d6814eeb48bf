package io.stunet.tiling;

import java.nio.FloatBuffer;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SegmentationHead}'s kernel with the Vector API: eight voxels at a time, one per lane of
 * a 256-bit vector, so every class is one vector operation for the eight and each lane does
 * exactly what {@link ScalarHeadRows} does for its voxel. Per row: the row's features are copied
 * channel by channel into a small per-thread array (the network's output is channel-major, so
 * that is one bulk copy per channel), padded with zeros to whole groups; the logits of the whole
 * row are computed block of {@link #BLOCK} classes by block (eight independent FMA chains per
 * group, the block's weights, stored already broadcast to eight lanes, staying in the L1 cache
 * across the row's groups) together with each voxel's max; then per group the exponentials and
 * their sum, and {@code acc = fma(e, (inv * scale) * g, acc)} straight into the cell, where a
 * group's sums are one contiguous run ({@link CellLayout}). A last, partial group is computed
 * whole and only its valid lanes are added. Loaded only when {@code jdk.incubator.vector} is
 * present.
 */
final class VectorHeadRows implements RowKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = CellLayout.GROUP;
    /** Classes per register block: eight accumulators, the feature vector and a weight vector. */
    static final int BLOCK = 8;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final int classes;
    private final int channels;
    /** {@link SegmentationHead#broadcastWeights}: weight {@code (c, k)} of a block as eight equal lanes. */
    private final float[] wv;
    /** The biases, each as eight equal lanes. */
    private final float[] bv;
    private final FloatBuffer f;
    private final int stride;
    private final int base;
    private final float scale;

    /**
     * Per-thread work arrays: the row's features (channel-major, padded), the row's logits then
     * exponentials ({@code [c * padded + x]}, plus a padding class), each voxel's max, and {@code
     * lanes}: a group's sum, Gaussian weights, and the factors of a group that is not a whole
     * group of the cell. Vectors pass between the steps through these arrays, never as arguments
     * or results: HotSpot 17 boxes a vector that crosses a call it did not inline (and these
     * steps are too large to inline), and falls back to allocating Java code for vector
     * operations whose vector class it cannot see.
     */
    private static final class Scratch {
        float[] x = new float[0];
        float[] e = new float[0];
        float[] max = new float[0];
        final float[] lanes = new float[3 * L];
    }

    private static final int SUM = 0;
    private static final int GAUSS = L;
    private static final int TAIL = 2 * L;

    VectorHeadRows(SegmentationHead head, FloatBuffer features, int channelStride, int base, float scale) {
        this.classes = head.classes();
        this.channels = head.channels();
        this.wv = head.broadcastWeights();
        this.bv = head.broadcastBias();
        this.f = features;
        this.stride = channelStride;
        this.base = base;
        this.scale = scale;
    }

    @Override
    public void addRow(float[] cell, int out, int src, float[] g, int g0, int n) {
        Scratch s = SCRATCH.get();
        int padded = (n + L - 1) / L * L;
        if (s.x.length < channels * padded) {
            s.x = new float[channels * padded];
        }
        if (s.e.length < (classes + 1) * padded) {
            s.e = new float[(classes + 1) * padded];
        }
        if (s.max.length < padded) {
            s.max = new float[padded];
        }
        float[] x = s.x;
        for (int k = 0; k < channels; k++) {
            f.get(base + k * stride + src, x, k * padded, n);
            java.util.Arrays.fill(x, k * padded + n, (k + 1) * padded, 0f);
        }
        logits(x, padded, s.e, s.max);
        int width = cell.length / classes;
        for (int i = 0; i < n; i += L) {
            int valid = Math.min(L, n - i);
            java.util.Arrays.fill(s.lanes, GAUSS, GAUSS + L, 0f);
            System.arraycopy(g, g0 + i, s.lanes, GAUSS, valid);
            expShifted(s.e, padded, i, s.max, s.lanes);
            add(cell, width, out + i, valid, s.e, padded, i, s.lanes);
        }
    }

    /**
     * {@code e[c * padded + x] = bias[c] + sum_k x[k][x] * w[c][k]} (FMA, k ascending) for every
     * class and voxel of the row, and each voxel's max over the classes (compare and blend, what
     * the scalar kernel's {@code if (v > m) m = v} does) into {@code max}; the padding class after
     * the last is set to negative infinity (see {@link #expShifted}).
     */
    private void logits(float[] x, int padded, float[] e, float[] max) {
        java.util.Arrays.fill(max, 0, padded, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(e, classes * padded, (classes + 1) * padded, Float.NEGATIVE_INFINITY);
        int c = 0;
        for (; c + BLOCK <= classes; c += BLOCK) {
            int wBlock = c * channels * L;
            for (int i = 0; i < padded; i += L) {
                FloatVector v0 = FloatVector.fromArray(S, bv, c * L);
                FloatVector v1 = FloatVector.fromArray(S, bv, (c + 1) * L);
                FloatVector v2 = FloatVector.fromArray(S, bv, (c + 2) * L);
                FloatVector v3 = FloatVector.fromArray(S, bv, (c + 3) * L);
                FloatVector v4 = FloatVector.fromArray(S, bv, (c + 4) * L);
                FloatVector v5 = FloatVector.fromArray(S, bv, (c + 5) * L);
                FloatVector v6 = FloatVector.fromArray(S, bv, (c + 6) * L);
                FloatVector v7 = FloatVector.fromArray(S, bv, (c + 7) * L);
                int w = wBlock;
                for (int k = 0; k < channels; k++, w += BLOCK * L) {
                    FloatVector xk = FloatVector.fromArray(S, x, k * padded + i);
                    v0 = xk.fma(FloatVector.fromArray(S, wv, w), v0);
                    v1 = xk.fma(FloatVector.fromArray(S, wv, w + L), v1);
                    v2 = xk.fma(FloatVector.fromArray(S, wv, w + 2 * L), v2);
                    v3 = xk.fma(FloatVector.fromArray(S, wv, w + 3 * L), v3);
                    v4 = xk.fma(FloatVector.fromArray(S, wv, w + 4 * L), v4);
                    v5 = xk.fma(FloatVector.fromArray(S, wv, w + 5 * L), v5);
                    v6 = xk.fma(FloatVector.fromArray(S, wv, w + 6 * L), v6);
                    v7 = xk.fma(FloatVector.fromArray(S, wv, w + 7 * L), v7);
                }
                v0.intoArray(e, c * padded + i);
                v1.intoArray(e, (c + 1) * padded + i);
                v2.intoArray(e, (c + 2) * padded + i);
                v3.intoArray(e, (c + 3) * padded + i);
                v4.intoArray(e, (c + 4) * padded + i);
                v5.intoArray(e, (c + 5) * padded + i);
                v6.intoArray(e, (c + 6) * padded + i);
                v7.intoArray(e, (c + 7) * padded + i);
                FloatVector m = FloatVector.fromArray(S, max, i);
                m = m.blend(v0, v0.compare(VectorOperators.GT, m));
                m = m.blend(v1, v1.compare(VectorOperators.GT, m));
                m = m.blend(v2, v2.compare(VectorOperators.GT, m));
                m = m.blend(v3, v3.compare(VectorOperators.GT, m));
                m = m.blend(v4, v4.compare(VectorOperators.GT, m));
                m = m.blend(v5, v5.compare(VectorOperators.GT, m));
                m = m.blend(v6, v6.compare(VectorOperators.GT, m));
                m = m.blend(v7, v7.compare(VectorOperators.GT, m));
                m.intoArray(max, i);
            }
        }
        int first = c;
        int rest = classes - first;
        for (; c < classes; c++) {
            for (int i = 0; i < padded; i += L) {
                FloatVector v = FloatVector.fromArray(S, bv, c * L);
                int w = (first * channels + (c - first)) * L;
                for (int k = 0; k < channels; k++, w += rest * L) {
                    v = FloatVector.fromArray(S, x, k * padded + i).fma(FloatVector.fromArray(S, wv, w), v);
                }
                v.intoArray(e, c * padded + i);
                FloatVector m = FloatVector.fromArray(S, max, i);
                m.blend(v, v.compare(VectorOperators.GT, m)).intoArray(max, i);
            }
        }
    }

    /**
     * For the group at voxel {@code i}: {@code e[c * padded + i + lane] = exp(e[...] - max[i +
     * lane])} for every class ({@link SegmentationHead#FLUSH_BELOW} applied), and the lane-wise
     * sum of those into {@code lanes[SUM..]}: even and odd classes summed separately, each in
     * class order (two independent chains, two classes per turn), then the two added. With an odd
     * class count the last turn's second class is the padding class, negative infinity, which
     * flushes to 0 and leaves the odd sum's bits unchanged. The exponential is {@link
     * FastExp#exp}'s operations lane by lane (so the same bits) without its clamps, which change
     * nothing in {@code [FLUSH_BELOW, 0]}; a flushed lane computes {@code exp(0)} and is then set
     * to 0, so no lane ever computes a subnormal number.
     */
    void expShifted(float[] e, int padded, int i, float[] max, float[] lanes) {
        FloatVector shift = FloatVector.fromArray(S, max, i);
        FloatVector even = FloatVector.zero(S);
        FloatVector odd = FloatVector.zero(S);
        FloatVector lnHi = FloatVector.broadcast(S, -FastExp.LN2_HI);
        FloatVector lnLo = FloatVector.broadcast(S, -FastExp.LN2_LO);
        FloatVector p0 = FloatVector.broadcast(S, FastExp.P0);
        FloatVector p1 = FloatVector.broadcast(S, FastExp.P1);
        FloatVector p2 = FloatVector.broadcast(S, FastExp.P2);
        FloatVector p3 = FloatVector.broadcast(S, FastExp.P3);
        FloatVector p4 = FloatVector.broadcast(S, FastExp.P4);
        FloatVector p5 = FloatVector.broadcast(S, FastExp.P5);
        for (int c = 0; c < classes; c += 2) {
            FloatVector x0 = FloatVector.fromArray(S, e, c * padded + i).sub(shift);
            FloatVector x1 = FloatVector.fromArray(S, e, (c + 1) * padded + i).sub(shift);
            VectorMask<Float> f0 = x0.compare(VectorOperators.LT, SegmentationHead.FLUSH_BELOW);
            VectorMask<Float> f1 = x1.compare(VectorOperators.LT, SegmentationHead.FLUSH_BELOW);
            x0 = x0.blend(0f, f0);
            x1 = x1.blend(0f, f1);
            FloatVector a0 = x0.fma(FastExp.LOG2E, FastExp.ROUND);
            FloatVector a1 = x1.fma(FastExp.LOG2E, FastExp.ROUND);
            FloatVector t0 = a0.sub(FastExp.ROUND);
            FloatVector t1 = a1.sub(FastExp.ROUND);
            FloatVector r0 = t0.fma(lnLo, t0.fma(lnHi, x0));
            FloatVector r1 = t1.fma(lnLo, t1.fma(lnHi, x1));
            FloatVector y0 = p0.fma(r0, p1).fma(r0, p2).fma(r0, p3).fma(r0, p4).fma(r0, p5).fma(r0.mul(r0), r0).add(1f);
            FloatVector y1 = p0.fma(r1, p1).fma(r1, p2).fma(r1, p3).fma(r1, p4).fma(r1, p5).fma(r1.mul(r1), r1).add(1f);
            // 2^n as float bits: ((bits(a) - ROUND_BITS) + 127) << 23, the two adds folded into one.
            IntVector n0 = (IntVector) a0.reinterpretAsInts().add(127 - FastExp.ROUND_BITS);
            IntVector n1 = (IntVector) a1.reinterpretAsInts().add(127 - FastExp.ROUND_BITS);
            FloatVector v0 = y0.mul(n0.lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()).blend(0f, f0);
            FloatVector v1 = y1.mul(n1.lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()).blend(0f, f1);
            v0.intoArray(e, c * padded + i);
            v1.intoArray(e, (c + 1) * padded + i);
            even = even.add(v0);
            odd = odd.add(v1);
        }
        even.add(odd).intoArray(lanes, SUM);
    }

    /**
     * {@code sum = fma(e_c, ((1 / total) * scale) * g, sum)} for class {@code c} of the group's
     * {@code valid} voxels, which start at cell voxel {@code out}: one contiguous run of vectors
     * when they are a whole group of the {@link CellLayout}, else lane by lane with the same
     * fused multiply-add (the factors go through {@code lanes[TAIL..]}).
     */
    private void add(float[] cell, int width, int out, int valid, float[] e, int padded, int i, float[] lanes) {
        FloatVector factor = FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, lanes, SUM))
                .mul(scale).mul(FloatVector.fromArray(S, lanes, GAUSS));
        if (valid == L && CellLayout.wholeGroup(width, out)) {
            int at = CellLayout.index(width, classes, out, 0);
            for (int c = 0; c < classes; c++, at += L) {
                FloatVector.fromArray(S, e, c * padded + i).fma(factor, FloatVector.fromArray(S, cell, at)).intoArray(cell, at);
            }
            return;
        }
        factor.intoArray(lanes, TAIL);
        for (int c = 0; c < classes; c++) {
            for (int lane = 0; lane < valid; lane++) {
                int at = CellLayout.index(width, classes, out + lane, c);
                cell[at] = Math.fma(e[c * padded + i + lane], lanes[TAIL + lane], cell[at]);
            }
        }
    }
}
