package io.stunet.bench;

/**
 * A deterministic CT-like int16 volume for benchmarks: air at -1000 HU around an
 * elliptical body of soft tissue with a fat rim and a bony spine, all with scanner-like
 * noise, so that gzip sees realistic entropy rather than a constant.
 */
final class CtPhantom {
    private CtPhantom() {
    }

    static short[] generate(int nx, int ny, int nz) {
        short[] v = new short[Math.multiplyExact(Math.multiplyExact(nx, ny), nz)];
        long state = 0x9E3779B97F4A7C15L;
        double cx = nx / 2.0;
        double cy = ny / 2.0;
        double ax = nx * 0.42;
        double ay = ny * 0.32;
        int i = 0;
        for (int z = 0; z < nz; z++) {
            double taper = 1.0 - 0.15 * Math.abs(z - nz / 2.0) / (nz / 2.0);
            for (int y = 0; y < ny; y++) {
                for (int x = 0; x < nx; x++) {
                    double ex = (x - cx) / (ax * taper);
                    double ey = (y - cy) / (ay * taper);
                    double r = ex * ex + ey * ey;
                    double sx = (x - cx) / (nx * 0.05);
                    double sy = (y - cy - ny * 0.18) / (ny * 0.05);
                    double base;
                    double sigma;
                    if (r > 1) {
                        base = -1000;
                        sigma = 8;
                    } else if (sx * sx + sy * sy < 1) {
                        base = 700;
                        sigma = 60;
                    } else if (r > 0.85) {
                        base = -100;
                        sigma = 15;
                    } else {
                        base = 40;
                        sigma = 15;
                    }
                    // Sum of four uniforms: cheap, roughly Gaussian noise.
                    double noise = 0;
                    for (int k = 0; k < 4; k++) {
                        state ^= state << 13;
                        state ^= state >>> 7;
                        state ^= state << 17;
                        noise += (state >>> 11) * 0x1.0p-53 - 0.5;
                    }
                    v[i++] = (short) Math.round(base + sigma * noise * 1.7);
                }
            }
        }
        return v;
    }
}
