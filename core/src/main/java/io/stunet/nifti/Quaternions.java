package io.stunet.nifti;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidVolumeException;
import io.stunet.geometry.Polar;

/** Quaternion helpers for the NIfTI qform, following nibabel's {@code quaternions} module. */
final class Quaternions {
    private Quaternions() {
    }

    /** (w, x, y, z) with w = sqrt(1 - |xyz|^2); tiny negative w^2 above threshold counts as 0. */
    static double[] fillPositive(double x, double y, double z, double w2Threshold) {
        double w2 = 1.0 - (x * x + y * y + z * z);
        double w;
        if (w2 < 0) {
            if (w2 < w2Threshold) {
                throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI,
                        "qform quaternion is not normalised");
            }
            w = 0;
        } else {
            w = Math.sqrt(w2);
        }
        return new double[] {w, x, y, z};
    }

    /** nibabel {@code quat2mat}. */
    static double[][] toRotation(double[] q) {
        double w = q[0];
        double x = q[1];
        double y = q[2];
        double z = q[3];
        double nq = w * w + x * x + y * y + z * z;
        if (nq < Math.ulp(1.0)) {
            return new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        }
        double s = 2.0 / nq;
        double xs = x * s;
        double ys = y * s;
        double zs = z * s;
        double wx = w * xs;
        double wy = w * ys;
        double wz = w * zs;
        double xx = x * xs;
        double xy = x * ys;
        double xz = x * zs;
        double yy = y * ys;
        double yz = y * zs;
        double zz = z * zs;
        return new double[][] {
            {1.0 - (yy + zz), xy - wz, xz + wy},
            {xy + wz, 1.0 - (xx + zz), yz - wx},
            {xz - wy, yz + wx, 1.0 - (xx + yy)},
        };
    }

    /** The nearest orthogonal matrix (polar factor), as nibabel's {@code P @ Qs} from the SVD. */
    static double[][] orthogonalize(double[][] r) {
        return Polar.orthogonalFactor(r);
    }

    /** A unit quaternion (w >= 0) for a proper rotation matrix (Shepperd's method). */
    static double[] fromRotation(double[][] m) {
        double trace = m[0][0] + m[1][1] + m[2][2];
        double w;
        double x;
        double y;
        double z;
        if (trace > 0) {
            double s = Math.sqrt(trace + 1.0) * 2;
            w = 0.25 * s;
            x = (m[2][1] - m[1][2]) / s;
            y = (m[0][2] - m[2][0]) / s;
            z = (m[1][0] - m[0][1]) / s;
        } else if (m[0][0] > m[1][1] && m[0][0] > m[2][2]) {
            double s = Math.sqrt(1.0 + m[0][0] - m[1][1] - m[2][2]) * 2;
            w = (m[2][1] - m[1][2]) / s;
            x = 0.25 * s;
            y = (m[0][1] + m[1][0]) / s;
            z = (m[0][2] + m[2][0]) / s;
        } else if (m[1][1] > m[2][2]) {
            double s = Math.sqrt(1.0 + m[1][1] - m[0][0] - m[2][2]) * 2;
            w = (m[0][2] - m[2][0]) / s;
            x = (m[0][1] + m[1][0]) / s;
            y = 0.25 * s;
            z = (m[1][2] + m[2][1]) / s;
        } else {
            double s = Math.sqrt(1.0 + m[2][2] - m[0][0] - m[1][1]) * 2;
            w = (m[1][0] - m[0][1]) / s;
            x = (m[0][2] + m[2][0]) / s;
            y = (m[1][2] + m[2][1]) / s;
            z = 0.25 * s;
        }
        double n = Math.sqrt(w * w + x * x + y * y + z * z);
        double sign = w < 0 ? -1 : 1;
        return new double[] {sign * w / n, sign * x / n, sign * y / n, sign * z / n};
    }
}
