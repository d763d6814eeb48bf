package io.stunet.slab;

/**
 * The z-slab arithmetic that preprocess (which publishes one tile request per slab) and
 * infer (which runs the slab) must agree on, kept here because stage modules do not depend on
 * each other. It is the z-axis part of nnU-Net v1's sliding-window grid (docs/numerics.md §3, §5):
 * tile start positions, near-equal slab boundaries, and the planes a slab has to read because
 * the tiles that overlap it reach beyond it. Pure integer arithmetic, no I/O.
 */
public final class SlabPlan {
    private SlabPlan() {
    }

    /**
     * Start positions along one axis of a padded extent {@code size}, as nnU-Net v1 computes
     * them: target step {@code patch * step}, {@code n = ceil((size - patch) / target) + 1}
     * tiles spread evenly, each start rounded half to even ({@code np.round}).
     */
    public static int[] starts(int patch, int size, double step) {
        double target = patch * step;
        int n = (int) Math.ceil((size - patch) / target) + 1;
        int[] out = new int[n];
        if (n > 1) {
            double actual = (double) (size - patch) / (n - 1);
            for (int i = 0; i < n; i++) {
                out[i] = (int) Math.rint(actual * i);
            }
        }
        return out;
    }

    /**
     * Boundaries of {@code count} z-slabs of an unpadded depth: near-equal sizes, never an
     * empty slab (at most {@code depth} slabs), so {@code bounds.length - 1} is the real count.
     */
    public static int[] bounds(int depth, int count) {
        int n = Math.max(1, Math.min(count, depth));
        int[] b = new int[n + 1];
        for (int i = 0; i <= n; i++) {
            b[i] = (int) ((long) depth * i / n);
        }
        return b;
    }

    /**
     * The unpadded planes {@code [lo, hi)} that the tiles overlapping output slab
     * {@code [z0, z1)} read: the slab plus the overlap at its borders, clipped to the volume
     * (padding planes are zeros and are never read).
     */
    public static int[] readRange(int depth, int patchZ, double step, int z0, int z1) {
        int padBelow = (Math.max(patchZ, depth) - depth) / 2;
        int padded = Math.max(patchZ, depth);
        int lo = Integer.MAX_VALUE;
        int hi = Integer.MIN_VALUE;
        for (int s : starts(patchZ, padded, step)) {
            if (s < z1 + padBelow && s + patchZ > z0 + padBelow) {
                lo = Math.min(lo, s - padBelow);
                hi = Math.max(hi, s + patchZ - padBelow);
            }
        }
        return new int[] {Math.max(0, lo), Math.min(depth, hi)};
    }
}
