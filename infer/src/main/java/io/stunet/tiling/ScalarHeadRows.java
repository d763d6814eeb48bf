package io.stunet.tiling;

import java.nio.FloatBuffer;

/** {@link SegmentationHead}'s kernel without the Vector API: the SIMD kernel's operations, one lane at a time. */
final class ScalarHeadRows implements RowKernel {
    private static final int LANES = SegmentationHead.LANES;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private final int classes;
    private final int channels;
    private final float[] w;
    private final float[] b;
    private final FloatBuffer f;
    private final int stride;
    private final int base;
    private final float scale;

    ScalarHeadRows(SegmentationHead head, FloatBuffer features, int channelStride, int base, float scale) {
        this.classes = head.classes();
        this.channels = head.channels();
        this.w = head.weights();
        this.b = head.bias();
        this.f = features;
        this.stride = channelStride;
        this.base = base;
        this.scale = scale;
    }

    @Override
    public void addRow(float[] cell, int out, int src, float[] g, int g0, int n) {
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < classes) {
            scratch[0] = new float[classes];
            scratch[1] = new float[LANES];
        }
        float[] l = scratch[0];
        float[] partial = scratch[1];
        for (int i = 0; i < n; i++) {
            int fb = base + src + i;
            for (int c = 0; c < classes; c++) {
                float v = b[c];
                for (int k = 0; k < channels; k++) {
                    v = Math.fma(f.get(fb + k * stride), w[c * channels + k], v);
                }
                l[c] = v;
            }
            float m = l[0];
            for (int c = 1; c < classes; c++) {
                m = Math.max(m, l[c]);
            }
            java.util.Arrays.fill(partial, 0f);
            for (int c = 0; c < classes; c++) {
                float e = FastExp.exp(l[c] - m);
                l[c] = e;
                partial[c % LANES] += e;
            }
            float sum = partial[0];
            for (int lane = 1; lane < LANES; lane++) {
                sum += partial[lane];
            }
            float inv = 1f / sum;
            float gi = g[g0 + i];
            int cb = (out + i) * classes;
            for (int c = 0; c < classes; c++) {
                cell[cb + c] += ((l[c] * inv) * scale) * gi;
            }
        }
    }
}
