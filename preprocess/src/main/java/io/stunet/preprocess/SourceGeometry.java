package io.stunet.preprocess;

/**
 * Where a volume came from, copied into {@link io.stunet.geometry.PreprocessingProperties} so
 * export can rebuild the input grid: the file's (nx, ny, nz), pixdim spacing and voxel-to-world
 * matrix (row-major 4x4). Arrays handed to the preprocessor directly (tests, tools) may leave
 * the matrix null and use orientation {@code "none"}.
 *
 * @param shapeXyz   (nx, ny, nz) of the input
 * @param spacingXyz (sx, sy, sz) of the input
 * @param affine     4x4 voxel-to-world matrix, or null
 */
public record SourceGeometry(int[] shapeXyz, double[] spacingXyz, double[][] affine) {
}
