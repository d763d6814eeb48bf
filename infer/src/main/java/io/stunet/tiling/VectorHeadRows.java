package io.stunet.tiling;

import java.nio.FloatBuffer;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SegmentationHead}'s kernel with the Vector API: one voxel at a time (its features read
 * channel-major, straight from the network's output), its classes in
 * the lanes of {@code ceil(classes / 8)} 256-bit vectors, so the voxel's sums are read and
 * written as one contiguous run of its voxel-major cell. Logits are register-blocked seven
 * vectors at a time (independent FMA chains sharing each broadcast feature). Loaded only when
 * {@code jdk.incubator.vector} is present; {@link ScalarHeadRows} performs the same operations.
 */
final class VectorHeadRows implements RowKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = SegmentationHead.LANES;
    private static final int BLOCK = 7;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private final int classes;
    private final int channels;
    private final int nv;
    private final float[] wt;
    private final float[] bt;
    private final FloatBuffer f;
    private final int stride;
    private final int base;
    private final float scale;
    private final VectorMask<Float> padding;

    VectorHeadRows(SegmentationHead head, FloatBuffer features, int channelStride, int base, float scale) {
        this.classes = head.classes();
        this.channels = head.channels();
        this.nv = head.vectors();
        this.wt = head.laneWeights();
        this.bt = head.laneBias();
        this.f = features;
        this.stride = channelStride;
        this.base = base;
        this.scale = scale;
        int used = classes - (nv - 1) * L;
        this.padding = VectorMask.fromLong(S, ((1L << L) - 1) & ~((1L << used) - 1));
    }

    @Override
    public void addRow(float[] cell, int out, int src, float[] g, int g0, int n) {
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < nv * L) {
            scratch[0] = new float[nv * L];
            scratch[1] = new float[L];
        }
        float[] e = scratch[0];
        float[] partial = scratch[1];
        int full = classes / L;
        for (int i = 0; i < n; i++) {
            logits(base + src + i, e);
            FloatVector m = FloatVector.fromArray(S, e, 0);
            for (int j = 1; j < nv; j++) {
                m = m.max(FloatVector.fromArray(S, e, j * L));
            }
            expShifted(e, m.reduceLanes(VectorOperators.MAX), partial);
            float total = partial[0];
            for (int lane = 1; lane < L; lane++) {
                total += partial[lane];
            }
            float inv = 1f / total;
            float gi = g[g0 + i];
            int cb = (out + i) * classes;
            for (int j = 0; j < full; j++) {
                FloatVector p = FloatVector.fromArray(S, e, j * L).mul(inv).mul(scale).mul(gi);
                FloatVector.fromArray(S, cell, cb + j * L).add(p).intoArray(cell, cb + j * L);
            }
            for (int c = full * L; c < classes; c++) {
                cell[cb + c] += ((e[c] * inv) * scale) * gi;
            }
        }
    }

    /**
     * {@code e[j * L + lane] = b[c] + sum_k f[fb + k * stride] * w[c][k]} (FMA, k ascending) for
     * class {@code c = j * L + lane}.
     */
    private void logits(int fb, float[] e) {
        int j = 0;
        for (; j + BLOCK <= nv; j += BLOCK) {
            FloatVector v0 = FloatVector.fromArray(S, bt, j * L);
            FloatVector v1 = FloatVector.fromArray(S, bt, (j + 1) * L);
            FloatVector v2 = FloatVector.fromArray(S, bt, (j + 2) * L);
            FloatVector v3 = FloatVector.fromArray(S, bt, (j + 3) * L);
            FloatVector v4 = FloatVector.fromArray(S, bt, (j + 4) * L);
            FloatVector v5 = FloatVector.fromArray(S, bt, (j + 5) * L);
            FloatVector v6 = FloatVector.fromArray(S, bt, (j + 6) * L);
            for (int k = 0; k < channels; k++) {
                FloatVector x = FloatVector.broadcast(S, f.get(fb + k * stride));
                int wb = (k * nv + j) * L;
                v0 = x.fma(FloatVector.fromArray(S, wt, wb), v0);
                v1 = x.fma(FloatVector.fromArray(S, wt, wb + L), v1);
                v2 = x.fma(FloatVector.fromArray(S, wt, wb + 2 * L), v2);
                v3 = x.fma(FloatVector.fromArray(S, wt, wb + 3 * L), v3);
                v4 = x.fma(FloatVector.fromArray(S, wt, wb + 4 * L), v4);
                v5 = x.fma(FloatVector.fromArray(S, wt, wb + 5 * L), v5);
                v6 = x.fma(FloatVector.fromArray(S, wt, wb + 6 * L), v6);
            }
            v0.intoArray(e, j * L);
            v1.intoArray(e, (j + 1) * L);
            v2.intoArray(e, (j + 2) * L);
            v3.intoArray(e, (j + 3) * L);
            v4.intoArray(e, (j + 4) * L);
            v5.intoArray(e, (j + 5) * L);
            v6.intoArray(e, (j + 6) * L);
        }
        for (; j < nv; j++) {
            FloatVector v = FloatVector.fromArray(S, bt, j * L);
            for (int k = 0; k < channels; k++) {
                v = FloatVector.broadcast(S, f.get(fb + k * stride)).fma(FloatVector.fromArray(S, wt, (k * nv + j) * L), v);
            }
            v.intoArray(e, j * L);
        }
    }

    /**
     * {@code e[j * L + lane] = exp(e[j * L + lane] - shift)} for the voxel's {@code nv} vectors,
     * the padding lanes of the last one set to 0, and the vectors' lane-wise sum into {@code
     * partial}. The exponential is {@link FastExp#exp}'s operations lane by lane (so the same
     * bits), written out in the loop instead of called: HotSpot may decline to inline a large
     * callee that it compiled first, and a vector-valued call that is not inlined boxes its
     * vectors (once seen here as a kernel 4x slower for a whole run).
     */
    void expShifted(float[] e, float shift, float[] partial) {
        FloatVector mx = FloatVector.broadcast(S, shift);
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < nv; j++) {
            FloatVector x = FloatVector.fromArray(S, e, j * L).sub(mx);
            x = x.max(FastExp.MIN_ARG).min(FastExp.MAX_ARG);
            FloatVector a = x.fma(FastExp.LOG2E, FastExp.ROUND);
            FloatVector t = a.sub(FastExp.ROUND);
            FloatVector r = t.fma(FloatVector.broadcast(S, -FastExp.LN2_HI), x);
            r = t.fma(FloatVector.broadcast(S, -FastExp.LN2_LO), r);
            FloatVector z = r.mul(r);
            FloatVector y = FloatVector.broadcast(S, FastExp.P0).fma(r, FloatVector.broadcast(S, FastExp.P1));
            y = y.fma(r, FloatVector.broadcast(S, FastExp.P2));
            y = y.fma(r, FloatVector.broadcast(S, FastExp.P3));
            y = y.fma(r, FloatVector.broadcast(S, FastExp.P4));
            y = y.fma(r, FloatVector.broadcast(S, FastExp.P5));
            y = y.fma(z, r).add(1f);
            IntVector n = (IntVector) a.reinterpretAsInts().sub(FastExp.ROUND_BITS);
            FloatVector v = y.mul(n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            if (j == nv - 1) {
                v = v.blend(0f, padding);
            }
            v.intoArray(e, j * L);
            sum = sum.add(v);
        }
        sum.intoArray(partial, 0);
    }
}
