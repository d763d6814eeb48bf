package io.stunet.stats;

/**
 * The figures for one label of a segmentation: how many voxels carry it, the volume they
 * cover, the mean input intensity over them, and whether the mask comes within
 * {@link ClassStatistics#BORDER_MARGIN} voxels of a face of the volume (TotalSegmentator
 * treats such masks as cut off and reports zeros for them; we report the figures and the
 * flag so the consumer decides). A class with no voxels has volume 0 and mean 0.
 *
 * @param label         label value in the mask (index into the model's class names)
 * @param name          class name
 * @param voxels        number of voxels with this label
 * @param volumeMm3     {@code voxels} times the voxel volume in mm³
 * @param meanIntensity mean of the input's scaled values over those voxels, in double precision
 * @param touchesBorder whether any voxel lies within the border margin of a face
 */
public record ClassStat(int label, String name, long voxels, double volumeMm3, double meanIntensity,
                        boolean touchesBorder) {
}
