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
 * exactly what {@link ScalarHeadRows} does for its voxel.
 *
 * <p>A tile row is computed in one pass over all the cells it covers. Its voxels are first cut
 * into lane groups that match the cells' {@link CellLayout}: every whole group of a cell that
 * the row covers is one group, and the voxels left over (a cell's last {@code width % 8}, or the
 * part of a group the row covers only partly) are packed together into "loose" groups. For the
 * 224x202x244 case that is 16 groups for a 128-voxel row cut into cells of 58, 58 and 12 voxels,
 * where cutting groups cell by cell would give 18. Then:
 * <ol>
 * <li>the row's features are copied channel by channel into a per-thread array (the network's
 * output is channel-major: one bulk copy per channel), with the loose voxels gathered after it;
 * <li>the logits of every group are computed block of {@link #BLOCK} classes by block (eight
 * independent FMA chains per group, the block's weights, stored already broadcast to eight
 * lanes, staying in the L1 cache across the row's groups), together with each voxel's max;
 * <li>per group, the exponentials and their sum, and the factor {@code ((1 / sum) * scale) * g};
 * <li>right after (the group still in the L1 cache), {@code acc = fma(e, factor, acc)}: a whole
 * group's classes are one contiguous run in its cell and in the work array; loose voxels are
 * added lane by lane with the same FMA once their groups are done.
 * </ol>
 * The work array keeps a group's classes side by side, eight floats each, as the cells do, so
 * every step streams through memory in order (one class per row of the array, the layout used
 * before, made the exponentials 30% slower in a microbenchmark). Loaded only when {@code
 * jdk.incubator.vector} is present.
 */
final class VectorHeadRows implements RowKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = CellLayout.GROUP;
    /** Classes per register block: eight accumulators, the feature vector and a weight vector. */
    static final int BLOCK = 8;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final int classes;
    private final int channels;
    /** Floats per group in the work array: the classes plus a padding class (see {@link #expShifted}). */
    private final int groupFloats;
    /** {@link SegmentationHead#broadcastWeights}: weight {@code (c, k)} of a block as eight equal lanes. */
    private final float[] wv;
    /** The biases, each as eight equal lanes. */
    private final float[] bv;
    private final FloatBuffer f;
    private final int stride;
    private final int base;
    private final float scale;

    /**
     * Per-thread work arrays. Vectors pass between the steps (logits, exponentials, update)
     * through these, never as arguments or results: HotSpot 17 boxes a vector that crosses a call
     * it did not inline (and these steps are too large to inline), and falls back to allocating
     * Java code for vector operations whose vector class it cannot see.
     */
    private static final class Scratch {
        /** Features: channel {@code k} at {@code k * xs}, the row in chunk order, then the loose voxels (zero-padded to whole groups). */
        float[] x = new float[0];
        /** Per group ({@code groupFloats} each): the logits, then the exponentials, class after class, eight lanes each. */
        float[] e = new float[0];
        /** Per group lane: the voxel's max logit, its Gaussian weight, its update factor. */
        float[] max = new float[0];
        float[] gw = new float[0];
        float[] factor = new float[0];
        /** Per class of the group being exponentiated: {@code 2^n} (see {@link #expShifted}). */
        float[] pow2 = new float[0];
        /** Per group: where its features start in a channel of {@code x}. */
        int[] xoff = new int[0];
        /** Per whole group: its segment and its first cell voxel. */
        int[] groupSegment = new int[0];
        int[] groupVoxel = new int[0];
        /** Per loose voxel: its segment, its cell voxel and its offset in the row. */
        int[] looseSegment = new int[0];
        int[] looseVoxel = new int[0];
        int[] looseSource = new int[0];

        void ensure(int voxels, int channels, int groupFloats) {
            int lanes = voxels + 2 * L;
            int groups = lanes / L;
            if (max.length < lanes) {
                max = new float[lanes];
                gw = new float[lanes];
                factor = new float[lanes];
                xoff = new int[groups];
                groupSegment = new int[groups];
                groupVoxel = new int[groups];
                looseSegment = new int[lanes];
                looseVoxel = new int[lanes];
                looseSource = new int[lanes];
            }
            // A channel holds the row and the loose voxels again, padded: at most 2 * voxels + 7 floats.
            if (x.length < channels * (2 * voxels + L)) {
                x = new float[channels * (2 * voxels + L)];
            }
            if (pow2.length < groupFloats) {
                pow2 = new float[groupFloats];
            }
            if (e.length < groups * groupFloats) {
                e = new float[groups * groupFloats];
            }
        }
    }

    VectorHeadRows(SegmentationHead head, FloatBuffer features, int channelStride, int base, float scale) {
        this.classes = head.classes();
        this.channels = head.channels();
        this.groupFloats = (classes + 1) * L;
        this.wv = head.broadcastWeights();
        this.bv = head.broadcastBias();
        this.f = features;
        this.stride = channelStride;
        this.base = base;
        this.scale = scale;
    }

    @Override
    public void addRow(float[] cell, int out, int src, float[] g, int g0, int n) {
        addRow(new float[][] {cell}, new int[] {out}, new int[] {n}, 1, src, g, g0);
    }

    @Override
    public void addRow(float[][] cells, int[] out, int[] n, int count, int src, float[] g, int g0) {
        int total = 0;
        for (int s = 0; s < count; s++) {
            total += n[s];
        }
        Scratch s = SCRATCH.get();
        s.ensure(total, channels, groupFloats);
        // Cut the row into the cells' whole groups and loose voxels.
        int whole = 0;
        int loose = 0;
        for (int seg = 0, off = 0; seg < count; off += n[seg], seg++) {
            int width = cells[seg].length / classes;
            int end = out[seg] + n[seg];
            for (int j = out[seg]; j < end; ) {
                if (j + L <= end && CellLayout.wholeGroup(width, j)) {
                    s.groupSegment[whole] = seg;
                    s.groupVoxel[whole] = j;
                    s.xoff[whole] = off + j - out[seg];
                    whole++;
                    j += L;
                } else {
                    s.looseSegment[loose] = seg;
                    s.looseVoxel[loose] = j;
                    s.looseSource[loose] = off + j - out[seg];
                    loose++;
                    j++;
                }
            }
        }
        int looseGroups = (loose + L - 1) / L;
        int groups = whole + looseGroups;
        int xs = total + looseGroups * L;
        for (int q = 0; q < looseGroups; q++) {
            s.xoff[whole + q] = total + q * L;
        }
        float[] x = s.x;
        float[] gw = s.gw;
        for (int k = 0; k < channels; k++) {
            int row = k * xs;
            f.get(base + k * stride + src, x, row, total);
            for (int t = 0; t < loose; t++) {
                x[row + total + t] = x[row + s.looseSource[t]];
            }
            java.util.Arrays.fill(x, row + total + loose, row + xs, 0f);
        }
        for (int q = 0; q < whole; q++) {
            System.arraycopy(g, g0 + s.xoff[q], gw, q * L, L);
        }
        for (int t = 0; t < loose; t++) {
            gw[whole * L + t] = g[g0 + s.looseSource[t]];
        }
        java.util.Arrays.fill(gw, whole * L + loose, groups * L, 0f);

        logits(x, xs, s.xoff, groups, s.e, s.max);
        for (int q = 0; q < whole; q++) {
            expShifted(s.e, q, s.max, gw, s.factor, s.pow2);
            addGroup(cells, s, q);
        }
        for (int q = whole; q < groups; q++) {
            expShifted(s.e, q, s.max, gw, s.factor, s.pow2);
        }
        addLoose(cells, s, whole, loose);
    }

    /**
     * For every group {@code q} and class {@code c}: {@code e[q * groupFloats + c * 8 + lane] =
     * bias[c] + sum_k x[k][lane] * w[c][k]} (FMA, k ascending), and each voxel's max over the
     * classes (compare and blend, what the scalar kernel's {@code if (v > m) m = v} does) into
     * {@code max}; the padding class after the last is set to negative infinity (see {@link
     * #expShifted}). The channel loop takes two channels per turn, which halves its loop overhead
     * and leaves each lane's FMA order unchanged.
     */
    private void logits(float[] x, int xs, int[] xoff, int groups, float[] e, float[] max) {
        java.util.Arrays.fill(max, 0, groups * L, Float.NEGATIVE_INFINITY);
        for (int q = 0; q < groups; q++) {
            java.util.Arrays.fill(e, q * groupFloats + classes * L, (q + 1) * groupFloats, Float.NEGATIVE_INFINITY);
        }
        int c = 0;
        for (; c + BLOCK <= classes; c += BLOCK) {
            int wBlock = c * channels * L;
            for (int q = 0; q < groups; q++) {
                FloatVector v0 = FloatVector.fromArray(S, bv, c * L);
                FloatVector v1 = FloatVector.fromArray(S, bv, (c + 1) * L);
                FloatVector v2 = FloatVector.fromArray(S, bv, (c + 2) * L);
                FloatVector v3 = FloatVector.fromArray(S, bv, (c + 3) * L);
                FloatVector v4 = FloatVector.fromArray(S, bv, (c + 4) * L);
                FloatVector v5 = FloatVector.fromArray(S, bv, (c + 5) * L);
                FloatVector v6 = FloatVector.fromArray(S, bv, (c + 6) * L);
                FloatVector v7 = FloatVector.fromArray(S, bv, (c + 7) * L);
                int w = wBlock;
                int xo = xoff[q];
                int k = 0;
                for (; k + 1 < channels; k += 2, w += 2 * BLOCK * L, xo += 2 * xs) {
                    FloatVector xk = FloatVector.fromArray(S, x, xo);
                    v0 = xk.fma(FloatVector.fromArray(S, wv, w), v0);
                    v1 = xk.fma(FloatVector.fromArray(S, wv, w + L), v1);
                    v2 = xk.fma(FloatVector.fromArray(S, wv, w + 2 * L), v2);
                    v3 = xk.fma(FloatVector.fromArray(S, wv, w + 3 * L), v3);
                    v4 = xk.fma(FloatVector.fromArray(S, wv, w + 4 * L), v4);
                    v5 = xk.fma(FloatVector.fromArray(S, wv, w + 5 * L), v5);
                    v6 = xk.fma(FloatVector.fromArray(S, wv, w + 6 * L), v6);
                    v7 = xk.fma(FloatVector.fromArray(S, wv, w + 7 * L), v7);
                    xk = FloatVector.fromArray(S, x, xo + xs);
                    v0 = xk.fma(FloatVector.fromArray(S, wv, w + 8 * L), v0);
                    v1 = xk.fma(FloatVector.fromArray(S, wv, w + 9 * L), v1);
                    v2 = xk.fma(FloatVector.fromArray(S, wv, w + 10 * L), v2);
                    v3 = xk.fma(FloatVector.fromArray(S, wv, w + 11 * L), v3);
                    v4 = xk.fma(FloatVector.fromArray(S, wv, w + 12 * L), v4);
                    v5 = xk.fma(FloatVector.fromArray(S, wv, w + 13 * L), v5);
                    v6 = xk.fma(FloatVector.fromArray(S, wv, w + 14 * L), v6);
                    v7 = xk.fma(FloatVector.fromArray(S, wv, w + 15 * L), v7);
                }
                if (k < channels) {
                    FloatVector xk = FloatVector.fromArray(S, x, xo);
                    v0 = xk.fma(FloatVector.fromArray(S, wv, w), v0);
                    v1 = xk.fma(FloatVector.fromArray(S, wv, w + L), v1);
                    v2 = xk.fma(FloatVector.fromArray(S, wv, w + 2 * L), v2);
                    v3 = xk.fma(FloatVector.fromArray(S, wv, w + 3 * L), v3);
                    v4 = xk.fma(FloatVector.fromArray(S, wv, w + 4 * L), v4);
                    v5 = xk.fma(FloatVector.fromArray(S, wv, w + 5 * L), v5);
                    v6 = xk.fma(FloatVector.fromArray(S, wv, w + 6 * L), v6);
                    v7 = xk.fma(FloatVector.fromArray(S, wv, w + 7 * L), v7);
                }
                int at = q * groupFloats + c * L;
                v0.intoArray(e, at);
                v1.intoArray(e, at + L);
                v2.intoArray(e, at + 2 * L);
                v3.intoArray(e, at + 3 * L);
                v4.intoArray(e, at + 4 * L);
                v5.intoArray(e, at + 5 * L);
                v6.intoArray(e, at + 6 * L);
                v7.intoArray(e, at + 7 * L);
                FloatVector m = FloatVector.fromArray(S, max, q * L);
                m = m.blend(v0, v0.compare(VectorOperators.GT, m));
                m = m.blend(v1, v1.compare(VectorOperators.GT, m));
                m = m.blend(v2, v2.compare(VectorOperators.GT, m));
                m = m.blend(v3, v3.compare(VectorOperators.GT, m));
                m = m.blend(v4, v4.compare(VectorOperators.GT, m));
                m = m.blend(v5, v5.compare(VectorOperators.GT, m));
                m = m.blend(v6, v6.compare(VectorOperators.GT, m));
                m = m.blend(v7, v7.compare(VectorOperators.GT, m));
                m.intoArray(max, q * L);
            }
        }
        int first = c;
        int rest = classes - first;
        for (; c < classes; c++) {
            for (int q = 0; q < groups; q++) {
                FloatVector v = FloatVector.fromArray(S, bv, c * L);
                int w = (first * channels + (c - first)) * L;
                int xo = xoff[q];
                for (int k = 0; k < channels; k++, w += rest * L, xo += xs) {
                    v = FloatVector.fromArray(S, x, xo).fma(FloatVector.fromArray(S, wv, w), v);
                }
                v.intoArray(e, q * groupFloats + c * L);
                FloatVector m = FloatVector.fromArray(S, max, q * L);
                m.blend(v, v.compare(VectorOperators.GT, m)).intoArray(max, q * L);
            }
        }
    }

    /**
     * For group {@code q}: every class's {@code exp(logit - max)} in place ({@link
     * SegmentationHead#FLUSH_BELOW} applied), their lane-wise sum, and the group's update factors
     * {@code ((1 / sum) * scale) * g} into {@code factor}. The exponential is {@link
     * FastExp#exp}'s operations lane by lane (so the same bits) without its clamps, which change
     * nothing in {@code [FLUSH_BELOW, 0]}, in two passes over the classes so that each pass's
     * constants fit in the sixteen vector registers (in one pass HotSpot kept half of them on the
     * stack, reloading and storing them for every class):
     * <ol>
     * <li>the reduced argument {@code r} (in place) and the power of two {@code 2^n} (into {@code
     * pow2}), set to 0 for a flushed lane; a flushed lane reduces {@code 0} instead of its
     * argument, so no lane ever computes a subnormal number;
     * <li>the polynomial in {@code r} times {@code 2^n} (a flushed lane gives exactly 0, as {@code
     * FastExp} plus the flush does), and the sum: even and odd classes separately, each in class
     * order (two independent chains, two classes per turn), then the two added. With an odd class
     * count the last turn's second class is the padding class, negative infinity, which flushes to
     * 0 and leaves the odd sum's bits unchanged.
     * </ol>
     */
    void expShifted(float[] e, int q, float[] max, float[] gw, float[] factor, float[] pow2) {
        int at0 = q * groupFloats;
        int pairs = (classes + 1) / 2;
        FloatVector shift = FloatVector.fromArray(S, max, q * L);
        FloatVector lnHi = FloatVector.broadcast(S, -FastExp.LN2_HI);
        FloatVector lnLo = FloatVector.broadcast(S, -FastExp.LN2_LO);
        for (int c = 0, at = at0; c < 2 * pairs; c++, at += L) {
            FloatVector x = FloatVector.fromArray(S, e, at).sub(shift);
            VectorMask<Float> flush = x.compare(VectorOperators.LT, SegmentationHead.FLUSH_BELOW);
            x = x.blend(0f, flush);
            FloatVector a = x.fma(FastExp.LOG2E, FastExp.ROUND);
            FloatVector t = a.sub(FastExp.ROUND);
            t.fma(lnLo, t.fma(lnHi, x)).intoArray(e, at);
            // 2^n as float bits: ((bits(a) - ROUND_BITS) + 127) << 23, the two adds folded into one.
            ((IntVector) a.reinterpretAsInts().add(127 - FastExp.ROUND_BITS)).lanewise(VectorOperators.LSHL, 23)
                    .reinterpretAsFloats().blend(0f, flush).intoArray(pow2, c * L);
        }
        FloatVector even = FloatVector.zero(S);
        FloatVector odd = FloatVector.zero(S);
        FloatVector p0 = FloatVector.broadcast(S, FastExp.P0);
        FloatVector p1 = FloatVector.broadcast(S, FastExp.P1);
        FloatVector p2 = FloatVector.broadcast(S, FastExp.P2);
        FloatVector p3 = FloatVector.broadcast(S, FastExp.P3);
        FloatVector p4 = FloatVector.broadcast(S, FastExp.P4);
        FloatVector p5 = FloatVector.broadcast(S, FastExp.P5);
        for (int c = 0, at = at0; c < 2 * pairs; c += 2, at += 2 * L) {
            FloatVector r0 = FloatVector.fromArray(S, e, at);
            FloatVector r1 = FloatVector.fromArray(S, e, at + L);
            FloatVector y0 = p0.fma(r0, p1).fma(r0, p2).fma(r0, p3).fma(r0, p4).fma(r0, p5).fma(r0.mul(r0), r0).add(1f);
            FloatVector y1 = p0.fma(r1, p1).fma(r1, p2).fma(r1, p3).fma(r1, p4).fma(r1, p5).fma(r1.mul(r1), r1).add(1f);
            FloatVector v0 = y0.mul(FloatVector.fromArray(S, pow2, c * L));
            FloatVector v1 = y1.mul(FloatVector.fromArray(S, pow2, (c + 1) * L));
            v0.intoArray(e, at);
            v1.intoArray(e, at + L);
            even = even.add(v0);
            odd = odd.add(v1);
        }
        FloatVector.broadcast(S, 1f).div(even.add(odd)).mul(scale).mul(FloatVector.fromArray(S, gw, q * L))
                .intoArray(factor, q * L);
    }

    /**
     * {@code sum = fma(e_c, factor, sum)} for every class of whole group {@code q}: one contiguous
     * run of vectors in its cell, right after the group's exponentials (still in the L1 cache).
     */
    private void addGroup(float[][] cells, Scratch s, int q) {
        float[] e = s.e;
        float[] cell = cells[s.groupSegment[q]];
        int at = CellLayout.index(cell.length / classes, classes, s.groupVoxel[q], 0);
        FloatVector fq = FloatVector.fromArray(S, s.factor, q * L);
        for (int c = 0, from = q * groupFloats; c < classes; c++, at += L, from += L) {
            FloatVector.fromArray(S, e, from).fma(fq, FloatVector.fromArray(S, cell, at)).intoArray(cell, at);
        }
    }

    /** The same for each loose voxel (whose group starts after the {@code whole} ones), lane by lane with the same fused multiply-add. */
    private void addLoose(float[][] cells, Scratch s, int whole, int loose) {
        float[] e = s.e;
        for (int t = 0; t < loose; t++) {
            float[] cell = cells[s.looseSegment[t]];
            int width = cell.length / classes;
            int j = s.looseVoxel[t];
            int at = CellLayout.index(width, classes, j, 0);
            int step = CellLayout.classStride(width, j);
            int q = whole + t / L;
            float ft = s.factor[q * L + t % L];
            for (int c = 0, from = q * groupFloats + t % L; c < classes; c++, at += step, from += L) {
                cell[at] = Math.fma(e[from], ft, cell[at]);
            }
        }
    }
}
