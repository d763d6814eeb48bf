package io.stunet.tiling;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.simd.Simd;

/**
 * The network's full-resolution 1x1x1 head, {@code logits[c] = bias[c] + sum_k weights[c][k] *
 * features[k]}, applied on the host and fused with softmax and accumulation: per voxel the
 * {@code classes} logits live only in a small per-thread scratch array, so a tile's
 * {@code classes x patch} logits and probabilities (880 MB for 105 classes at 128^3) are never
 * materialized. Per voxel: logits (fused multiply-add over features in order), {@code m =
 * max_c}, {@code e_c = exp(l_c - m)}, {@code p_c = e_c * (1 / sum_c e_c)}, then {@code acc_c +=
 * (scale * p_c) * g} as on the probabilities path. The SIMD kernel (Vector API, when available)
 * and the scalar one differ only in the last bits of {@code exp}; a run uses one of them for
 * every voxel, so tilings stay bit-identical.
 */
public final class SegmentationHead {
    private final int classes;
    private final int channels;
    private final float[] weights;
    private final float[] bias;

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
     * A row kernel over one chunk of features, (channels, depth, patch_y, patch_x) row-major with
     * {@code chunk = depth * patch_y * patch_x} floats per channel, adding {@code (scale * p) * g}.
     */
    public RowKernel rows(float[] features, int chunk, float scale) {
        return rows(features, chunk, scale, Simd.available());
    }

    /** As {@link #rows(float[], int, float)} with the kernel chosen explicitly (for tests and benchmarks). */
    public RowKernel rows(float[] features, int chunk, float scale, boolean simd) {
        return simd ? new VectorHeadRows(this, features, chunk, scale) : new ScalarHeadRows(this, features, chunk, scale);
    }
}
