package io.stunet.preprocess;

/**
 * nnU-Net v1's {@code resample_patient} decisions: the target shape
 * {@code rint(spacing / target * shape)} (round half to even, the same double operations as
 * numpy) and the separate-z rule: separate when max/min of the original spacing exceeds the
 * threshold (else of the target spacing), along the axis with the largest spacing of the
 * spacing that triggered it; never when two or three axes tie for that maximum.
 */
public final class ResamplingRules {
    /** nnU-Net's {@code RESAMPLING_SEPARATE_Z_ANISO_THRESHOLD}. */
    public static final double DEFAULT_ANISOTROPY_THRESHOLD = 3.0;

    private ResamplingRules() {
    }

    /** The separate-z decision; {@code axis} is -1 when {@code separate} is false. */
    public record SeparateZ(boolean separate, int axis) {
        public static final SeparateZ NONE = new SeparateZ(false, -1);
    }

    /** (z, y, x) target shape for a (z, y, x) shape and spacings. */
    public static int[] targetShape(int[] shape, double[] spacing, double[] target) {
        int[] out = new int[3];
        for (int a = 0; a < 3; a++) {
            if (!(spacing[a] > 0) || !(target[a] > 0) || Double.isInfinite(spacing[a]) || Double.isInfinite(target[a])) {
                throw new IllegalArgumentException("spacings must be positive and finite");
            }
            out[a] = (int) Math.rint(spacing[a] / target[a] * shape[a]);
            if (out[a] < 1) {
                throw new IllegalArgumentException("target shape collapses axis " + a);
            }
        }
        return out;
    }

    /** The separate-z decision for original and target (z, y, x) spacings. */
    public static SeparateZ separateZ(double[] spacing, double[] target, double threshold) {
        if (anisotropic(spacing, threshold)) {
            return lowResAxis(spacing);
        }
        if (anisotropic(target, threshold)) {
            return lowResAxis(target);
        }
        return SeparateZ.NONE;
    }

    static boolean anisotropic(double[] s, double threshold) {
        double max = Math.max(s[0], Math.max(s[1], s[2]));
        double min = Math.min(s[0], Math.min(s[1], s[2]));
        return max / min > threshold;
    }

    /** {@code np.where(max(s) / s == 1)}: a single such axis, or no separate z. */
    static SeparateZ lowResAxis(double[] s) {
        double max = Math.max(s[0], Math.max(s[1], s[2]));
        int axis = -1;
        int count = 0;
        for (int a = 0; a < 3; a++) {
            if (max / s[a] == 1.0) {
                axis = a;
                count++;
            }
        }
        return count == 1 ? new SeparateZ(true, axis) : SeparateZ.NONE;
    }
}
