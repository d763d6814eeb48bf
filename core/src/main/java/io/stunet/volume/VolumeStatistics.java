package io.stunet.volume;

/**
 * Minimum, maximum, mean and sum of a volume's scaled voxel values over all frames,
 * accumulated in double (what {@code inspect} reports and nibabel's
 * {@code get_fdata()} statistics give). NaN voxels propagate, as in numpy.
 */
public record VolumeStatistics(double min, double max, double mean, double sum, long count) {

    public static VolumeStatistics of(Volume v) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        boolean nan = false;
        for (int t = 0; t < v.nt(); t++) {
            double[] frame = v.toFloat64(t);
            // Pairwise blocks keep the rounding error of large sums close to numpy's.
            for (int start = 0; start < frame.length; start += 4096) {
                int end = Math.min(frame.length, start + 4096);
                double block = 0;
                for (int i = start; i < end; i++) {
                    double x = frame[i];
                    if (x < min) {
                        min = x;
                    }
                    if (x > max) {
                        max = x;
                    }
                    nan |= Double.isNaN(x);
                    block += x;
                }
                sum += block;
            }
        }
        long count = (long) v.frameSize() * v.nt();
        if (nan) {
            return new VolumeStatistics(Double.NaN, Double.NaN, Double.NaN, Double.NaN, count);
        }
        return new VolumeStatistics(min, max, sum / count, sum, count);
    }
}
