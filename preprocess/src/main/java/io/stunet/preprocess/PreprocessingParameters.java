package io.stunet.preprocess;

import java.util.List;

/**
 * What preprocessing takes from a model card: target spacing and transpose in network (z, y, x)
 * order, one normalization per input channel, whether to crop to the nonzero box, the
 * orientation ({@code "RAS"} or {@code "none"}) and the separate-z anisotropy threshold.
 *
 * @param targetSpacing       (z, y, x) spacing after transposeForward
 * @param normalization       one entry per input channel
 * @param cropToNonzero       crop to the hole-filled nonzero bounding box first
 * @param orientation         {@code "RAS"} to reorient to closest canonical, {@code "none"} to keep the stored order
 * @param transposeForward    nnU-Net's transpose_forward
 * @param anisotropyThreshold separate-z threshold on max/min spacing
 */
public record PreprocessingParameters(double[] targetSpacing, List<NormalizationSpec> normalization,
                                      boolean cropToNonzero, String orientation, int[] transposeForward,
                                      double anisotropyThreshold) {
    public PreprocessingParameters {
        if (targetSpacing == null || targetSpacing.length != 3) {
            throw new IllegalArgumentException("targetSpacing needs three values (z, y, x)");
        }
        for (double s : targetSpacing) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("targetSpacing must be positive and finite");
            }
        }
        if (normalization == null || normalization.isEmpty()) {
            throw new IllegalArgumentException("one normalization per input channel is required");
        }
        normalization = List.copyOf(normalization);
        if (!"RAS".equals(orientation) && !"none".equals(orientation)) {
            throw new IllegalArgumentException("orientation must be RAS or none: " + orientation);
        }
        if (transposeForward == null) {
            transposeForward = new int[] {0, 1, 2};
        }
        io.stunet.resample.AxisPermutation.inverse(transposeForward);
        if (!(anisotropyThreshold > 0)) {
            throw new IllegalArgumentException("anisotropyThreshold must be positive");
        }
    }

    /** STU-Net's TotalSegmentator settings with another target spacing and normalization. */
    public static PreprocessingParameters of(double[] targetSpacing, NormalizationSpec normalization) {
        return new PreprocessingParameters(targetSpacing, List.of(normalization), true, "RAS",
                new int[] {0, 1, 2}, ResamplingRules.DEFAULT_ANISOTROPY_THRESHOLD);
    }

    public int channels() {
        return normalization.size();
    }

    public boolean reorient() {
        return "RAS".equals(orientation);
    }
}
