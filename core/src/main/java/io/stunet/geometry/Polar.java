package io.stunet.geometry;

import java.util.Arrays;

/**
 * Polar decomposition of a 3x3 matrix restricted to its numerical rank, the way nibabel
 * does it with an SVD; used to find the rotation closest to an affine's direction block.
 */
public final class Polar {
    private Polar() {
    }

    /**
     * The orthogonal factor of the polar decomposition, restricted to the numerical rank as
     * nibabel does ({@code P[:, keep] @ Qs[keep]} from the SVD): with A = U S V^T, each kept
     * singular pair contributes u_k v_k^T where u_k = A v_k / s_k.
     */
    public static double[][] orthogonalFactor(double[][] a) {
        double[][] ata = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double s = 0;
                for (int k = 0; k < 3; k++) {
                    s += a[k][i] * a[k][j];
                }
                ata[i][j] = s;
            }
        }
        double[][] v = new double[3][3];
        double[] eig = jacobiEigen(ata, v);
        double[] sv = new double[3];
        double smax = 0;
        for (int k = 0; k < 3; k++) {
            sv[k] = Math.sqrt(Math.max(eig[k], 0));
            smax = Math.max(smax, sv[k]);
        }
        double tol = smax * 3 * Math.ulp(1.0);
        double[][] r = new double[3][3];
        for (int k = 0; k < 3; k++) {
            if (sv[k] <= tol) {
                continue;
            }
            double[] u = new double[3];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    u[i] += a[i][j] * v[j][k];
                }
                u[i] /= sv[k];
            }
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    r[i][j] += u[i] * v[j][k];
                }
            }
        }
        return r;
    }

    /** Eigenvalues of a symmetric 3x3 matrix (cyclic Jacobi); eigenvectors into the columns of v. */
    private static double[] jacobiEigen(double[][] sym, double[][] v) {
        double[][] a = new double[3][];
        for (int i = 0; i < 3; i++) {
            a[i] = sym[i].clone();
            Arrays.fill(v[i], 0);
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < 64; sweep++) {
            double off = Math.abs(a[0][1]) + Math.abs(a[0][2]) + Math.abs(a[1][2]);
            if (off == 0) {
                break;
            }
            for (int p = 0; p < 2; p++) {
                for (int q = p + 1; q < 3; q++) {
                    if (a[p][q] == 0) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < 3; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < 3; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < 3; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        return new double[] {a[0][0], a[1][1], a[2][2]};
    }
}
