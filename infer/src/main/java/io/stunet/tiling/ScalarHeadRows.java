package io.stunet.tiling;

import java.nio.FloatBuffer;

/** {@link SegmentationHead}'s kernel without the Vector API: what each lane of {@link VectorHeadRows} does, voxel by voxel. */
final class ScalarHeadRows implements RowKernel {
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

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
        if (scratch[0].length < classes + channels) {
            scratch[0] = new float[classes + channels];
        }
        float[] l = scratch[0];
        int width = cell.length / classes;
        for (int i = 0; i < n; i++) {
            int fb = base + src + i;
            for (int k = 0; k < channels; k++) {
                l[classes + k] = f.get(fb + k * stride);
            }
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                float v = b[c];
                for (int k = 0; k < channels; k++) {
                    v = Math.fma(l[classes + k], w[c * channels + k], v);
                }
                l[c] = v;
                if (v > m) {
                    m = v;
                }
            }
            float even = 0f;
            float odd = 0f;
            for (int c = 0; c < classes; c++) {
                float d = l[c] - m;
                float e = d < SegmentationHead.FLUSH_BELOW ? 0f : FastExp.exp(d);
                l[c] = e;
                if ((c & 1) == 0) {
                    even += e;
                } else {
                    odd += e;
                }
            }
            float factor = ((1f / (even + odd)) * scale) * g[g0 + i];
            for (int c = 0; c < classes; c++) {
                int at = CellLayout.index(width, classes, out + i, c);
                cell[at] = Math.fma(l[c], factor, cell[at]);
            }
        }
    }
}
