package io.stunet.geometry;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import java.util.Arrays;

/**
 * An immutable 4x4 homogeneous matrix (row-major doubles), used as the voxel-to-world
 * (RAS+ millimetre) mapping of a volume. Voxel indices are in nibabel order (i, j, k) =
 * (x, y, z); world coordinates are RAS+ as nibabel reports them.
 */
public final class Affine {
    private static final Affine IDENTITY = new Affine(new double[] {
        1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});

    private final double[] m;

    private Affine(double[] m) {
        this.m = m;
    }

    /** From 16 values in row-major order. */
    public static Affine of(double... rowMajor) {
        if (rowMajor.length != 16) {
            throw new IllegalArgumentException("an affine has 16 values, got " + rowMajor.length);
        }
        return new Affine(rowMajor.clone());
    }

    /** From 4 rows of 4 (or 3 rows of 4; the last row is then 0 0 0 1). */
    public static Affine fromRows(double[][] rows) {
        if (rows.length != 4 && rows.length != 3) {
            throw new IllegalArgumentException("an affine has 3 or 4 rows");
        }
        double[] m = IDENTITY.toArray();
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != 4) {
                throw new IllegalArgumentException("affine rows have 4 values");
            }
            System.arraycopy(rows[r], 0, m, 4 * r, 4);
        }
        return new Affine(m);
    }

    public static Affine identity() {
        return IDENTITY;
    }

    /** Scaling by the given diagonal plus a translation. */
    public static Affine diagonal(double sx, double sy, double sz, double tx, double ty, double tz) {
        return new Affine(new double[] {sx, 0, 0, tx, 0, sy, 0, ty, 0, 0, sz, tz, 0, 0, 0, 1});
    }

    public double get(int row, int col) {
        return m[4 * row + col];
    }

    /** A copy of the 16 values, row-major. */
    public double[] toArray() {
        return m.clone();
    }

    /** A copy as 4 rows of 4 (the JSON form: nested arrays, row-major). */
    public double[][] toRows() {
        double[][] rows = new double[4][4];
        for (int r = 0; r < 4; r++) {
            System.arraycopy(m, 4 * r, rows[r], 0, 4);
        }
        return rows;
    }

    /** {@code this * other}: applies {@code other} first. */
    public Affine multiply(Affine other) {
        double[] o = other.m;
        double[] out = new double[16];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                double s = 0;
                for (int k = 0; k < 4; k++) {
                    s += m[4 * r + k] * o[4 * k + c];
                }
                out[4 * r + c] = s;
            }
        }
        return new Affine(out);
    }

    /** Maps a point (voxel index to world coordinate for a voxel-to-world affine). */
    public double[] apply(double x, double y, double z) {
        return new double[] {
            m[0] * x + m[1] * y + m[2] * z + m[3],
            m[4] * x + m[5] * y + m[6] * z + m[7],
            m[8] * x + m[9] * y + m[10] * z + m[11],
        };
    }

    /** The inverse; a singular matrix is {@link ErrorCode#INVALID_GEOMETRY}. */
    public Affine inverse() {
        double[][] a = toRows();
        double[][] inv = IDENTITY.toRows();
        for (int col = 0; col < 4; col++) {
            int pivot = col;
            for (int r = col + 1; r < 4; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
                    pivot = r;
                }
            }
            if (a[pivot][col] == 0 || !Double.isFinite(a[pivot][col])) {
                throw new StunetException(ErrorCode.INVALID_GEOMETRY, "affine is singular");
            }
            double[] t = a[col];
            a[col] = a[pivot];
            a[pivot] = t;
            t = inv[col];
            inv[col] = inv[pivot];
            inv[pivot] = t;
            double p = a[col][col];
            for (int c = 0; c < 4; c++) {
                a[col][c] /= p;
                inv[col][c] /= p;
            }
            for (int r = 0; r < 4; r++) {
                if (r != col && a[r][col] != 0) {
                    double f = a[r][col];
                    for (int c = 0; c < 4; c++) {
                        a[r][c] -= f * a[col][c];
                        inv[r][c] -= f * inv[col][c];
                    }
                }
            }
        }
        return fromRows(inv);
    }

    /** Voxel size per input axis: the norms of the first three columns (nibabel's zooms). */
    public double[] spacing() {
        double[] s = new double[3];
        for (int c = 0; c < 3; c++) {
            s[c] = Math.sqrt(m[c] * m[c] + m[4 + c] * m[4 + c] + m[8 + c] * m[8 + c]);
        }
        return s;
    }

    /** Axis codes such as {@code "LAS"}, as nibabel's {@code aff2axcodes}. */
    public String axcodes() {
        return AxisOrientation.of(this).axcodes();
    }

    /** Largest absolute element-wise difference, for tolerance checks. */
    public double maxAbsDiff(Affine other) {
        double d = 0;
        for (int i = 0; i < 16; i++) {
            d = Math.max(d, Math.abs(m[i] - other.m[i]));
        }
        return d;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Affine a && Arrays.equals(m, a.m);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(m);
    }

    @Override
    public String toString() {
        return Arrays.deepToString(toRows());
    }
}
