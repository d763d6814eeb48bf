package io.stunet.preprocess;

import io.stunet.geometry.PreprocessingProperties;
import io.stunet.resample.AxisPermutation;
import io.stunet.resample.LinearLabelResampler;
import io.stunet.resample.SplineResampler;

/**
 * nnU-Net v1's {@code preprocess_test_case} in the order of NUMERICS §2: crop to nonzero ->
 * transpose_forward -> NaN to 0 -> resample (cubic spline, or the separate-z path) ->
 * normalize. Reorientation, which comes first, happens where the volume is read (see
 * {@code VolumePreprocessor}); this class works on (z, y, x) float32 channels of the
 * reoriented grid and is pure computation.
 */
public final class Preprocessor {
    private final PreprocessingParameters params;

    public Preprocessor(PreprocessingParameters params) {
        this.params = params;
    }

    public PreprocessingParameters parameters() {
        return params;
    }

    /**
     * Channels cropped, transposed and resampled, before normalization.
     *
     * @param channels   (z, y, x) buffers in network space, one per channel
     * @param inside     resampled nonzero mask (1 inside), or null when no channel normalizes with it
     * @param properties what export needs
     */
    public record Resampled(float[][] channels, short[] inside, PreprocessingProperties properties) {
    }

    /** The whole sequence: {@link #resample} then {@link #normalize}. */
    public PreprocessedCase run(float[][] channels, int[] shape, double[] spacing, SourceGeometry source,
                                String orientationApplied) {
        return normalize(resample(channels, shape, spacing, source, orientationApplied));
    }

    /**
     * Crop, transpose, NaN to 0 and resample. {@code channels} are (z, y, x) buffers of
     * {@code shape} with (z, y, x) {@code spacing}, already in the orientation named by
     * {@code orientationApplied}; they are not modified.
     */
    public Resampled resample(float[][] channels, int[] shape, double[] spacing, SourceGeometry source,
                              String orientationApplied) {
        if (channels.length != params.channels()) {
            throw new IllegalArgumentException("model expects " + params.channels() + " channels, got " + channels.length);
        }
        NonzeroCrop crop;
        if (params.cropToNonzero()) {
            crop = NonzeroCrop.of(channels, shape);
        } else {
            boolean[] all = new boolean[channels[0].length];
            java.util.Arrays.fill(all, true);
            crop = new NonzeroCrop(all, new int[][] {{0, shape[0]}, {0, shape[1]}, {0, shape[2]}}, shape.clone());
        }
        int[] cropped = crop.croppedShape();
        int[] tf = params.transposeForward();
        int[] netShape = AxisPermutation.permute(cropped, tf);
        double[] netSpacing = AxisPermutation.permute(spacing, tf);
        double[] target = params.targetSpacing();
        int[] newShape = ResamplingRules.targetShape(netShape, netSpacing, target);
        ResamplingRules.SeparateZ sep = ResamplingRules.separateZ(netSpacing, target, params.anisotropyThreshold());

        float[][] out = new float[channels.length][];
        for (int c = 0; c < channels.length; c++) {
            float[] data = AxisPermutation.apply(crop.crop(channels[c]), cropped, tf);
            for (int i = 0; i < data.length; i++) {
                if (Float.isNaN(data[i])) {
                    data[i] = 0f;
                }
            }
            out[c] = resampleData(data, netShape, newShape, sep);
        }
        short[] inside = null;
        if (params.normalization().stream().anyMatch(NormalizationSpec::useMaskForNorm)) {
            short[] mask = AxisPermutation.apply(crop.croppedMaskLabels(), cropped, tf);
            inside = resampleMask(mask, netShape, newShape, sep);
        }
        PreprocessingProperties props = new PreprocessingProperties(PreprocessingProperties.SCHEMA_VERSION,
                source == null ? null : source.shapeXyz(), source == null ? null : source.spacingXyz(),
                source == null ? null : source.affine(), orientationApplied, tf.clone(), shape.clone(), crop.bbox(),
                cropped, spacing.clone(), target.clone(), newShape, sep.separate(), sep.axis(), channels.length);
        return new Resampled(out, inside, props);
    }

    /** Normalizes every channel in place and packs them as (c, z, y, x). */
    public PreprocessedCase normalize(Resampled r) {
        int n = r.channels()[0].length;
        for (int c = 0; c < r.channels().length; c++) {
            Normalization.apply(r.channels()[c], params.normalization().get(c), r.inside());
        }
        float[] packed;
        if (r.channels().length == 1) {
            packed = r.channels()[0];
        } else {
            packed = new float[n * r.channels().length];
            for (int c = 0; c < r.channels().length; c++) {
                System.arraycopy(r.channels()[c], 0, packed, c * n, n);
            }
        }
        return new PreprocessedCase(packed, r.properties());
    }

    static float[] resampleData(float[] data, int[] shape, int[] newShape, ResamplingRules.SeparateZ sep) {
        if (java.util.Arrays.equals(shape, newShape)) {
            return data;
        }
        return sep.separate()
                ? SplineResampler.resizeSeparate(data, shape, newShape, sep.axis())
                : SplineResampler.resize(data, shape, newShape);
    }

    static short[] resampleMask(short[] mask, int[] shape, int[] newShape, ResamplingRules.SeparateZ sep) {
        if (java.util.Arrays.equals(shape, newShape)) {
            return mask;
        }
        return sep.separate()
                ? LinearLabelResampler.resampleSeparate(mask, shape, newShape, sep.axis())
                : LinearLabelResampler.resample(mask, shape, newShape);
    }
}
