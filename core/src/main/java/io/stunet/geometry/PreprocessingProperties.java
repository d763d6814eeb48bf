package io.stunet.geometry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Arrays;

/**
 * Everything the inverse of preprocessing needs to put a network-space label map back on the
 * input's grid, written beside the preprocessed volume as JSON ({@code preprocessed.json}).
 * The preprocessing order is: reorient (when {@code orientation} is {@code "RAS"}) -> crop to
 * the nonzero bounding box -> transpose -> resample; the export undoes it in reverse.
 *
 * <p>Axis conventions: fields ending in {@code Xyz} use nibabel's order and describe the input
 * file; all other shapes, boxes and spacings are (z, y, x). {@code shapeBeforeCrop},
 * {@code cropBbox}, {@code shapeAfterCrop} and {@code spacing} are in the reoriented grid before
 * the transpose; {@code targetSpacing}, {@code resampledShape} and {@code lowResAxis} are in
 * network space (after {@code transposeForward}). {@code reorientation} holds the input grid
 * ((nx, ny, nz) and its voxel-to-world matrix) and the axis permutation and flips applied; it is
 * null only for arrays preprocessed without a file (tests, tools).
 *
 * @param schemaVersion    version of this JSON layout
 * @param reorientation    the input grid and the reorientation applied to it, or null
 * @param inputSpacingXyz  (sx, sy, sz) pixdim of the input file, or null
 * @param orientation      {@code "RAS"} (reoriented to closest canonical) or {@code "none"}
 * @param transposeForward nnU-Net's transpose_forward applied after cropping
 * @param shapeBeforeCrop  (z, y, x) after reorientation
 * @param cropBbox         [start, end) per (z, y, x) axis within {@code shapeBeforeCrop}
 * @param shapeAfterCrop   (z, y, x) extent of the crop
 * @param spacing          (z, y, x) spacing after reorientation, before the transpose
 * @param targetSpacing    (z, y, x) network-space spacing after resampling
 * @param resampledShape   (z, y, x) network-space shape after resampling
 * @param separateZ        whether resampling used nnU-Net's separate-z path
 * @param lowResAxis       the separate-z axis in network space, -1 when {@code separateZ} is false
 * @param channels         number of input channels
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PreprocessingProperties(
        int schemaVersion,
        Reorientation.Spec reorientation,
        double[] inputSpacingXyz,
        String orientation,
        int[] transposeForward,
        int[] shapeBeforeCrop,
        int[][] cropBbox,
        int[] shapeAfterCrop,
        double[] spacing,
        double[] targetSpacing,
        int[] resampledShape,
        boolean separateZ,
        int lowResAxis,
        int channels) {

    /** Current {@link #schemaVersion()}. */
    public static final int SCHEMA_VERSION = 1;

    public PreprocessingProperties {
        if (schemaVersion != SCHEMA_VERSION) {
            throw new IllegalArgumentException("unsupported preprocessing properties version " + schemaVersion);
        }
        require(shapeBeforeCrop, 3, "shapeBeforeCrop");
        require(shapeAfterCrop, 3, "shapeAfterCrop");
        require(resampledShape, 3, "resampledShape");
        require(transposeForward, 3, "transposeForward");
        if (cropBbox == null || cropBbox.length != 3) {
            throw new IllegalArgumentException("cropBbox needs three [start, end) pairs");
        }
        for (int a = 0; a < 3; a++) {
            int[] b = cropBbox[a];
            if (b == null || b.length != 2 || b[0] < 0 || b[1] > shapeBeforeCrop[a] || b[1] - b[0] != shapeAfterCrop[a]) {
                throw new IllegalArgumentException("cropBbox inconsistent with the shapes on axis " + a);
            }
        }
        if (separateZ && (lowResAxis < 0 || lowResAxis > 2)) {
            throw new IllegalArgumentException("separateZ needs a lowResAxis in 0..2");
        }
    }

    /** (nx, ny, nz) of the input file, or null without {@link #reorientation()}. */
    public int[] inputShapeXyz() {
        return reorientation == null ? null : reorientation.inputShapeXyz();
    }

    /** (z, y, x) spacing after the transpose: the network-space spacing before resampling. */
    public double[] spacingTransposed() {
        return new double[] {spacing[transposeForward[0]], spacing[transposeForward[1]], spacing[transposeForward[2]]};
    }

    private static void require(int[] v, int n, String name) {
        if (v == null || v.length != n) {
            throw new IllegalArgumentException(name + " needs " + n + " values");
        }
    }

    @Override
    public String toString() {
        return "PreprocessingProperties[shapeBeforeCrop=" + Arrays.toString(shapeBeforeCrop)
                + ", cropBbox=" + Arrays.deepToString(cropBbox)
                + ", resampledShape=" + Arrays.toString(resampledShape)
                + ", separateZ=" + separateZ + ", lowResAxis=" + lowResAxis + "]";
    }
}
