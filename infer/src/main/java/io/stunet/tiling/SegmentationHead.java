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
 * max_c}, {@code e_c = exp(l_c - m)} ({@link FastExp}; 0 below {@link #FLUSH_BELOW}), their
 * sum (even and odd classes each in order, then the two added), then {@code acc_c = fma(e_c,
 * ((1 / sum) * scale) * g, acc_c)}: the probability {@code e_c / sum} is never rounded on its
 * own. The SIMD kernel (Vector API, when available; one voxel per lane) and the scalar one
 * perform the same IEEE operations in the same order, so they give the same bits, and so does
 * code HotSpot has not compiled yet: tilings stay bit-identical whatever runs when. Sums are
 * stored as {@link CellLayout} says.
 */
public final class SegmentationHead {
    private final int classes;
    private final int channels;
    private final float[] weights;
    private final float[] bias;
    /** Lanes of {@link VectorHeadRows}' vectors. */
    private static final int LANES = CellLayout.GROUP;
    private volatile float[] broadcastWeights;
    private volatile float[] broadcastBias;

    /**
     * Exponent below which {@code exp(l_c - m)} counts as 0: a class whose probability is under
     * {@code e^-40} (4e-18) of the voxel's most likely class. Without it a confident network
     * (logit gaps of 90 and more are common) makes the kernel compute with subnormal floats,
     * {@code exp} of the clamped argument times a Gaussian weight as small as 3.8e-11, and each
     * subnormal operation costs x86 cores tens of cycles: on this project's 2-core AMD build
     * machine the kernel ran up to twice as slow on such data. With the cut-off every exponential,
     * product and sum is 0 or a normal float ({@code e^-40 x 3.8e-11 / 8 / 65536} is still above
     * {@code Float.MIN_NORMAL}). A flushed term is 16 orders of magnitude below the voxel's
     * largest term, so it can change a label only where two classes tie to float32's last bit.
     */
    public static final float FLUSH_BELOW = -40f;

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

    /**
     * Weights laid out for {@link VectorHeadRows}' register blocks of {@code BLOCK} classes, each
     * weight repeated in eight lanes (a vector load instead of a broadcast per multiply-add, which
     * HotSpot 17 compiles to several instructions): the block starting at class {@code c0} with
     * {@code nb = min(BLOCK, classes - c0)} classes holds {@code weights[c0 + j][k]} at {@code
     * (c0 * channels + k * nb + j) * 8 + lane}, so a block's weights for feature {@code k} are
     * adjacent. Built once per head.
     */
    float[] broadcastWeights() {
        float[] w = broadcastWeights;
        if (w == null) {
            int block = VectorHeadRows.BLOCK;
            w = new float[classes * channels * LANES];
            for (int c0 = 0; c0 < classes; c0 += block) {
                int nb = Math.min(block, classes - c0);
                for (int k = 0; k < channels; k++) {
                    for (int j = 0; j < nb; j++) {
                        java.util.Arrays.fill(w, (c0 * channels + k * nb + j) * LANES, (c0 * channels + k * nb + j + 1) * LANES,
                                weights[(c0 + j) * channels + k]);
                    }
                }
            }
            broadcastWeights = w;
        }
        return w;
    }

    /** The biases, each repeated in eight lanes. Built once per head. */
    float[] broadcastBias() {
        float[] b = broadcastBias;
        if (b == null) {
            b = new float[classes * LANES];
            for (int c = 0; c < classes; c++) {
                java.util.Arrays.fill(b, c * LANES, (c + 1) * LANES, bias[c]);
            }
            broadcastBias = b;
        }
        return b;
    }

    /**
     * A row kernel over one chunk of features, channel-major as the network returns them: feature
     * {@code k} of chunk voxel {@code v} (row-major (depth, patch_y, patch_x) index) is
     * {@code features.get(base + k * channelStride + v)}, so the output of {@code features(x)} is
     * read without a transposition. It adds {@code p * scale * g} (rounded as described above).
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
