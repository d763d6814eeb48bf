package io.stunet.tiling;

/** {@link SegmentationHead}'s kernel without the Vector API: one voxel at a time. */
final class ScalarHeadRows implements RowKernel {
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    private final int classes;
    private final int channels;
    private final float[] w;
    private final float[] b;
    private final float[] f;
    private final int chunk;
    private final float scale;

    ScalarHeadRows(SegmentationHead head, float[] features, int chunk, float scale) {
        this.classes = head.classes();
        this.channels = head.channels();
        this.w = head.weights();
        this.b = head.bias();
        this.f = features;
        this.chunk = chunk;
        this.scale = scale;
    }

    @Override
    public void addRow(float[] row, int stride, int out, int src, float[] g, int g0, int n) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < classes) {
            holder[0] = new float[classes];
        }
        float[] l = holder[0];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < classes; c++) {
                float v = b[c];
                for (int k = 0; k < channels; k++) {
                    v = Math.fma(f[k * chunk + src + i], w[c * channels + k], v);
                }
                l[c] = v;
            }
            float m = l[0];
            for (int c = 1; c < classes; c++) {
                m = Math.max(m, l[c]);
            }
            float sum = 0f;
            for (int c = 0; c < classes; c++) {
                float e = FastExp.exp(l[c] - m);
                l[c] = e;
                sum += e;
            }
            float inv = 1f / sum;
            float gs = g[g0 + i];
            for (int c = 0; c < classes; c++) {
                row[c * stride + out + i] += ((l[c] * inv) * scale) * gs;
            }
        }
    }
}
