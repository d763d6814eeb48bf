package io.stunet.stats;

import java.util.List;

/**
 * Per-class statistics of one segmentation on the input's own grid, with the grid they were
 * computed on so a reader can check volumes against voxel counts. Shapes and spacings are in
 * the numerical code's {@code (z, y, x)} order; {@link #classes()} holds one entry per label
 * {@code 1 .. classNames.size() - 1} in label order (background, label 0, is not reported).
 *
 * @param shape      grid shape {@code (z, y, x)}
 * @param spacing    voxel spacing in mm {@code (z, y, x)}
 * @param classNames class names indexed by label value, background first
 * @param classes    statistics for every foreground label, present or not
 */
public record StatsReport(int[] shape, double[] spacing, List<String> classNames, List<ClassStat> classes) {

    public StatsReport {
        shape = shape.clone();
        spacing = spacing.clone();
        classNames = List.copyOf(classNames);
        classes = List.copyOf(classes);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public double[] spacing() {
        return spacing.clone();
    }

    /** Volume of one voxel in mm³, multiplied in the order x, y, z as TotalSegmentator does. */
    public double voxelVolume() {
        return ClassStatistics.voxelVolume(spacing);
    }

    /** The classes with at least one voxel, in label order. */
    public List<ClassStat> present() {
        return classes.stream().filter(c -> c.voxels() > 0).toList();
    }
}
