package io.stunet.geometry;

import java.util.Arrays;

/**
 * Which world axis (0 = R/L, 1 = A/P, 2 = S/I) each voxel axis follows most closely, and in
 * which direction: nibabel's {@code io_orientation} ("ornt" array), computed the same way
 * (polar decomposition of the column-normalised rotation/zoom block, then greedy argmax so
 * that ties resolve in the same order). An axis whose column vanishes has {@code axes[i] = -1}.
 *
 * @param axes  world axis followed by voxel axis i, or -1 when undetermined
 * @param flips +1 when voxel axis i increases towards R/A/S, -1 towards L/P/I
 */
public record AxisOrientation(int[] axes, int[] flips) {
    private static final char[][] LABELS = {{'L', 'R'}, {'P', 'A'}, {'I', 'S'}};

    public AxisOrientation {
        axes = axes.clone();
        flips = flips.clone();
    }

    /** nibabel's {@code io_orientation(affine)} for a 3-D voxel-to-world affine. */
    public static AxisOrientation of(Affine affine) {
        double[][] rs = new double[3][3];
        for (int c = 0; c < 3; c++) {
            double norm = 0;
            for (int r = 0; r < 3; r++) {
                norm += affine.get(r, c) * affine.get(r, c);
            }
            norm = Math.sqrt(norm);
            if (norm == 0) {
                norm = 1;
            }
            for (int r = 0; r < 3; r++) {
                rs[r][c] = affine.get(r, c) / norm;
            }
        }
        double[][] rot = Polar.orthogonalFactor(rs);
        int[] axes = new int[3];
        int[] flips = new int[3];
        for (int in = 0; in < 3; in++) {
            boolean zero = true;
            for (int r = 0; r < 3; r++) {
                // np.allclose(col, 0): |x| <= 1e-8 with the default tolerances.
                if (Math.abs(rot[r][in]) > 1e-8) {
                    zero = false;
                }
            }
            if (zero) {
                axes[in] = -1;
                flips[in] = 1;
                continue;
            }
            int out = 0;
            for (int r = 1; r < 3; r++) {
                if (Math.abs(rot[r][in]) > Math.abs(rot[out][in])) {
                    out = r;
                }
            }
            axes[in] = out;
            flips[in] = rot[out][in] < 0 ? -1 : 1;
            Arrays.fill(rot[out], 0);
        }
        return new AxisOrientation(axes, flips);
    }

    /** Whether every voxel axis has a world axis. */
    public boolean isDetermined() {
        for (int a : axes) {
            if (a < 0) {
                return false;
            }
        }
        return true;
    }

    /** Axis codes ({@code "LAS"}); an undetermined axis shows as {@code '?'}. */
    public String axcodes() {
        StringBuilder sb = new StringBuilder(3);
        for (int i = 0; i < axes.length; i++) {
            sb.append(axes[i] < 0 ? '?' : LABELS[axes[i]][flips[i] > 0 ? 1 : 0]);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AxisOrientation a && Arrays.equals(axes, a.axes) && Arrays.equals(flips, a.flips);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(axes) + Arrays.hashCode(flips);
    }

    @Override
    public String toString() {
        return "AxisOrientation" + Arrays.toString(axes) + Arrays.toString(flips);
    }
}
