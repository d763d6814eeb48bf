package io.stunet.tiling;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.simd.Simd;

import java.nio.FloatBuffer;

/**
 * The network's full-resolution 1x1x1 head, {@code logits[c] = bias[c] + sum_k weights[c][k] *
 * features[k]}, applied on the host and fused with softmax and accumulation: per voxel the
 * {@code classes} logits live only in a small per-thread scratch array, so a tile's
 * {@code classes x patch} logits and probabilities (880 MB for 105 classes at 128^3) are never
 * materialized. Per voxel: logits (fused multiply-add over features in order), {@code m =
 * max_c}, {@code e_c = exp(l_c - m)} ({@link FastExp}), the sum of the {@code e_c} as
 * {@link #LANES} partial sums then those in order, {@code p_c = e_c * (1 / sum)}, then {@code
 * acc_c += ((p_c * scale) * g}. The SIMD kernel (Vector API, when available) and the scalar
 * one perform the same IEEE operations in the same order, so they give the same bits, and so
 * does code HotSpot has not compiled yet: tilings stay bit-identical whatever runs when.
 */
public final class SegmentationHead {
    private final int classes;
    private final int channels;
    private final float[] weights;
    private final float[] bias;
    private volatile float[] laneWeights;
    private volatile float[] laneBias;

    /**
     * Classes per vector in the SIMD kernel (256-bit vectors of float) and per partial sum in
     * both kernels: the softmax denominator is summed as LANES partial sums, then those in
     * order, so the scalar kernel gives the SIMD kernel's bits.
     */
    static final int LANES = 8;

    /** {@code weights} is (classes, channels) row-major; {@code bias} has {@code classes} entries. */
    public SegmentationHead(int classes, int channels, float[] weights, float[] bias) {
        if (classes < 1 || channels < 1 || weights.length != classes * channels || bias.length != classes) {
            throw new StunetException(ErrorCode.INVALID_MODEL, "head weights must be (" + classes + ", " + channels
                    + ") with " + classes + " biases, got " + weights.length + " weights and " + bias.length + " biases");
        }
        this.classes = classes;
        this.channels = channels;
        this.weights = weights.clone();
        this.bias = bias.clone();
    }

    public int classes() {
        return classes;
    }

    /** Feature channels the head reads. */
    public int channels() {
        return channels;
    }

    float[] weights() {
        return weights;
    }

    float[] bias() {
        return bias;
    }

    /** Vectors of {@link #LANES} classes per voxel for the SIMD kernel: {@code ceil(classes / LANES)}. */
    int vectors() {
        return (classes + LANES - 1) / LANES;
    }

    /**
     * Weights laid out for class-lane vectors: {@code [(k * vectors + j) * LANES + lane] =
     * weights[j * LANES + lane][k]}, zero past the last class.
     */
    float[] laneWeights() {
        float[] w = laneWeights;
        if (w == null) {
            int nv = vectors();
            w = new float[channels * nv * LANES];
            for (int k = 0; k < channels; k++) {
                for (int c = 0; c < classes; c++) {
                    w[k * nv * LANES + c] = weights[c * channels + k];
                }
            }
            laneWeights = w;
        }
        return w;
    }

    /** Biases padded to whole vectors with negative infinity, so padding lanes never win the max. */
    float[] laneBias() {
        float[] b = laneBias;
        if (b == null) {
            b = new float[vectors() * LANES];
            java.util.Arrays.fill(b, Float.NEGATIVE_INFINITY);
            System.arraycopy(bias, 0, b, 0, classes);
            laneBias = b;
        }
        return b;
    }

    /**
     * A row kernel over one chunk of features, channel-major as the network returns them: feature
     * {@code k} of chunk voxel {@code v} (row-major (depth, patch_y, patch_x) index) is
     * {@code features.get(base + k * channelStride + v)}, so the output of {@code features(x)} is
     * read in place, without a copy or a transposition. It adds {@code (scale * p) * g}.
     */
    public RowKernel rows(FloatBuffer features, int channelStride, int base, float scale) {
        return rows(features, channelStride, base, scale, Simd.available());
    }

    /** As {@link #rows(FloatBuffer, int, int, float)} with the kernel chosen explicitly (for tests and benchmarks). */
    public RowKernel rows(FloatBuffer features, int channelStride, int base, float scale, boolean simd) {
        return simd ? new VectorHeadRows(this, features, channelStride, base, scale)
                : new ScalarHeadRows(this, features, channelStride, base, scale);
    }
}
