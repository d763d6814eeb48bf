package io.stunet.preprocess;

/**
 * One input channel's intensity normalization, as in {@code model.json}'s
 * {@code normalization} entries: {@code nonCT} (z-score over the volume, or over the nonzero
 * mask when {@code useMaskForNorm}) or {@code CT} (clip to [lowerBound, upperBound], then
 * {@code (x - mean) / max(sd, 1e-8)} with the dataset's statistics).
 *
 * @param scheme         {@code "nonCT"} or {@code "CT"}
 * @param useMaskForNorm normalize only inside the nonzero mask and set the outside to 0
 * @param mean           CT dataset mean (ignored for nonCT)
 * @param sd             CT dataset standard deviation (ignored for nonCT)
 * @param lowerBound     CT 0.5th percentile (ignored for nonCT)
 * @param upperBound     CT 99.5th percentile (ignored for nonCT)
 */
public record NormalizationSpec(String scheme, boolean useMaskForNorm, double mean, double sd,
                                double lowerBound, double upperBound) {
    public static final String NON_CT = "nonCT";
    public static final String CT = "CT";

    public NormalizationSpec {
        if (!NON_CT.equals(scheme) && !CT.equals(scheme)) {
            throw new IllegalArgumentException("normalization scheme must be nonCT or CT: " + scheme);
        }
        if (CT.equals(scheme) && !(lowerBound <= upperBound)) {
            throw new IllegalArgumentException("CT normalization needs lowerBound <= upperBound");
        }
    }

    /** The STU-Net default: z-score over the whole cropped, resampled volume. */
    public static NormalizationSpec nonCt(boolean useMaskForNorm) {
        return new NormalizationSpec(NON_CT, useMaskForNorm, 0, 1, 0, 0);
    }

    public static NormalizationSpec ct(double mean, double sd, double lowerBound, double upperBound,
                                       boolean useMaskForNorm) {
        return new NormalizationSpec(CT, useMaskForNorm, mean, sd, lowerBound, upperBound);
    }

    public boolean isCt() {
        return CT.equals(scheme);
    }
}
