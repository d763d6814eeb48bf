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
 * exactly what {@link ScalarHeadRows} does for its voxel. Per group of eight voxels: the logits
 * class block by class block ({@link #BLOCK} independent FMA chains sharing each feature vector),
 * the lane-wise max, the exponentials and their sum, then {@code acc = fma(e, (inv * scale) * g,
 * acc)} straight into the cell, where a group's sums are one contiguous run ({@link CellLayout}). The row's features are first copied channel by channel into a small per-thread array
 * (the network's output is channel-major, so that is one bulk copy per channel), padded with
 * zeros to whole groups; a last, partial group is computed whole and only its valid lanes are
 * added. Loaded only when {@code jdk.incubator.vector} is present.
 */
final class VectorHeadRows implements RowKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = 8;
    /** Classes per register block: eight accumulators, the feature vector and a broadcast weight. */
    private static final int BLOCK = 8;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final int classes;
    private final int channels;
    private final float[] wb;
    private final float[] bias;
    private final FloatBuffer f;
    private final int stride;
    private final int base;
    private final float scale;

    /**
     * Per-thread work arrays: the row's features (channel-major, padded), one group's
     * exponentials, and {@code lanes}: the group's max, then its sum, then Gaussian weights, then
     * the factors of a group that is not a whole group of the cell. Vectors pass between the steps through these arrays, never
     * as arguments or results: HotSpot 17 boxes a vector that crosses a call it did not inline
     * (and these steps are too large to inline), and falls back to allocating Java code for
     * vector operations whose vector class it cannot see.
     */
    private static final class Scratch {
        float[] x = new float[0];
        float[] e = new float[0];
        final float[] lanes = new float[4 * L];
    }

    private static final int MAX = 0;
    private static final int SUM = L;
    private static final int GAUSS = 2 * L;
    private static final int TAIL = 3 * L;

    VectorHeadRows(SegmentationHead head, FloatBuffer features, int channelStride, int base, float scale) {
        this.classes = head.classes();
        this.channels = head.channels();
        this.wb = head.blockWeights(BLOCK);
        this.bias = head.bias();
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
        if (s.e.length < (classes + 1) * L) {
            s.e = new float[(classes + 1) * L];
        }
        float[] x = s.x;
        for (int k = 0; k < channels; k++) {
            f.get(base + k * stride + src, x, k * padded, n);
            java.util.Arrays.fill(x, k * padded + n, (k + 1) * padded, 0f);
        }
        int width = cell.length / classes;
        for (int i = 0; i < n; i += L) {
            int valid = Math.min(L, n - i);
            java.util.Arrays.fill(s.lanes, GAUSS, GAUSS + L, 0f);
            System.arraycopy(g, g0 + i, s.lanes, GAUSS, valid);
            logits(x, padded, i, s.e, s.lanes);
            expShifted(s.e, s.lanes);
            add(cell, width, out + i, valid, s.e, s.lanes);
        }
    }

    /**
     * {@code e[c * L + lane] = bias[c] + sum_k x[k][i + lane] * w[c][k]} (FMA, k ascending) for
     * every class, and their lane-wise max (compare and blend, what the scalar kernel's {@code
     * if (v > m) m = v} does) into {@code lanes[MAX..]}; the slot after the last class (padding
     * for {@link #expShifted}) is set to negative infinity.
     */
    private void logits(float[] x, int padded, int i, float[] e, float[] lanes) {
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int c = 0;
        for (; c + BLOCK <= classes; c += BLOCK) {
            FloatVector v0 = FloatVector.broadcast(S, bias[c]);
            FloatVector v1 = FloatVector.broadcast(S, bias[c + 1]);
            FloatVector v2 = FloatVector.broadcast(S, bias[c + 2]);
            FloatVector v3 = FloatVector.broadcast(S, bias[c + 3]);
            FloatVector v4 = FloatVector.broadcast(S, bias[c + 4]);
            FloatVector v5 = FloatVector.broadcast(S, bias[c + 5]);
            FloatVector v6 = FloatVector.broadcast(S, bias[c + 6]);
            FloatVector v7 = FloatVector.broadcast(S, bias[c + 7]);
            int w = c * channels;
            for (int k = 0; k < channels; k++, w += BLOCK) {
                FloatVector xk = FloatVector.fromArray(S, x, k * padded + i);
                v0 = xk.fma(FloatVector.broadcast(S, wb[w]), v0);
                v1 = xk.fma(FloatVector.broadcast(S, wb[w + 1]), v1);
                v2 = xk.fma(FloatVector.broadcast(S, wb[w + 2]), v2);
                v3 = xk.fma(FloatVector.broadcast(S, wb[w + 3]), v3);
                v4 = xk.fma(FloatVector.broadcast(S, wb[w + 4]), v4);
                v5 = xk.fma(FloatVector.broadcast(S, wb[w + 5]), v5);
                v6 = xk.fma(FloatVector.broadcast(S, wb[w + 6]), v6);
                v7 = xk.fma(FloatVector.broadcast(S, wb[w + 7]), v7);
            }
            v0.intoArray(e, c * L);
            v1.intoArray(e, (c + 1) * L);
            v2.intoArray(e, (c + 2) * L);
            v3.intoArray(e, (c + 3) * L);
            v4.intoArray(e, (c + 4) * L);
            v5.intoArray(e, (c + 5) * L);
            v6.intoArray(e, (c + 6) * L);
            v7.intoArray(e, (c + 7) * L);
            max = max.blend(v0, v0.compare(VectorOperators.GT, max));
            max = max.blend(v1, v1.compare(VectorOperators.GT, max));
            max = max.blend(v2, v2.compare(VectorOperators.GT, max));
            max = max.blend(v3, v3.compare(VectorOperators.GT, max));
            max = max.blend(v4, v4.compare(VectorOperators.GT, max));
            max = max.blend(v5, v5.compare(VectorOperators.GT, max));
            max = max.blend(v6, v6.compare(VectorOperators.GT, max));
            max = max.blend(v7, v7.compare(VectorOperators.GT, max));
        }
        int first = c;
        int rest = classes - first;
        for (; c < classes; c++) {
            FloatVector v = FloatVector.broadcast(S, bias[c]);
            int w = first * channels + (c - first);
            for (int k = 0; k < channels; k++, w += rest) {
                v = FloatVector.fromArray(S, x, k * padded + i).fma(FloatVector.broadcast(S, wb[w]), v);
            }
            v.intoArray(e, c * L);
            max = max.blend(v, v.compare(VectorOperators.GT, max));
        }
        java.util.Arrays.fill(e, classes * L, (classes + 1) * L, Float.NEGATIVE_INFINITY);
        max.intoArray(lanes, MAX);
    }

    /**
     * {@code e[c * L + lane] = exp(e[c * L + lane] - max[lane])} for every class ({@link
     * SegmentationHead#FLUSH_BELOW} applied), and the lane-wise sum of those into {@code
     * lanes[SUM..]}: even classes and odd classes summed separately in class order (two
     * independent chains, two classes per turn; an odd class count ends with the padding class
     * that {@link #logits} sets to negative infinity, which flushes to 0 and leaves the odd sum's
     * bits unchanged), then the two added. The exponential is {@link FastExp#exp}'s operations lane by
     * lane (so the same bits) without its clamps, which change nothing in {@code [FLUSH_BELOW,
     * 0]}; a flushed lane computes {@code exp(0)} and is then set to 0, so no lane ever computes
     * a subnormal number.
     */
    void expShifted(float[] e, float[] lanes) {
        FloatVector shift = FloatVector.fromArray(S, lanes, MAX);
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
            FloatVector x0 = FloatVector.fromArray(S, e, c * L).sub(shift);
            FloatVector x1 = FloatVector.fromArray(S, e, (c + 1) * L).sub(shift);
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
            v0.intoArray(e, c * L);
            v1.intoArray(e, (c + 1) * L);
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
    private void add(float[] cell, int width, int out, int valid, float[] e, float[] lanes) {
        FloatVector factor = FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, lanes, SUM))
                .mul(scale).mul(FloatVector.fromArray(S, lanes, GAUSS));
        if (valid == L && CellLayout.wholeGroup(width, out)) {
            int at = CellLayout.index(width, classes, out, 0);
            for (int c = 0; c < classes; c++, at += L) {
                FloatVector.fromArray(S, e, c * L).fma(factor, FloatVector.fromArray(S, cell, at)).intoArray(cell, at);
            }
            return;
        }
        factor.intoArray(lanes, TAIL);
        for (int c = 0; c < classes; c++) {
            for (int lane = 0; lane < valid; lane++) {
                int at = CellLayout.index(width, classes, out + lane, c);
                cell[at] = Math.fma(e[c * L + lane], lanes[TAIL + lane], cell[at]);
            }
        }
    }
}
