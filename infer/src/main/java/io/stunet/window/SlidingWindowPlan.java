package io.stunet.window;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.pipeline.SlabPlan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The nnU-Net v1 sliding-window grid for one volume (NUMERICS.md section 3): axes smaller
 * than the patch are padded with zeros ({@code below = diff / 2}, {@code above = diff - below}),
 * start positions per axis follow {@code _compute_steps_for_sliding_window} (round half to
 * even), and tiles are listed in one fixed global order, z outermost, then y, then x. Every
 * consumer (untiled run, z-slab workers, any device) walks tiles in this order, which is what
 * makes tiled results bit-identical to untiled ones. All coordinates are (z, y, x).
 */
public final class SlidingWindowPlan {
    private final int[] shape;
    private final int[] patch;
    private final double stepFraction;
    private final int[] padBelow;
    private final int[] padded;
    private final int[][] starts;
    private final List<Tile> tiles;

    private SlidingWindowPlan(int[] shape, int[] patch, double stepFraction) {
        this.shape = shape.clone();
        this.patch = patch.clone();
        this.stepFraction = stepFraction;
        this.padBelow = new int[3];
        this.padded = new int[3];
        this.starts = new int[3][];
        for (int a = 0; a < 3; a++) {
            int diff = Math.max(patch[a], shape[a]) - shape[a];
            padBelow[a] = diff / 2;
            padded[a] = shape[a] + diff;
            starts[a] = steps(patch[a], padded[a], stepFraction);
        }
        List<Tile> list = new ArrayList<>(starts[0].length * starts[1].length * starts[2].length);
        for (int z : starts[0]) {
            for (int y : starts[1]) {
                for (int x : starts[2]) {
                    list.add(new Tile(list.size(), z, y, x));
                }
            }
        }
        this.tiles = Collections.unmodifiableList(list);
    }

    /** Plans the grid for a (z, y, x) volume; {@code step} is the fraction of the patch (0.5 by default). */
    public static SlidingWindowPlan of(int[] shape, int[] patch, double step) {
        if (shape.length != 3 || patch.length != 3) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "shape and patch must have 3 axes (z, y, x)");
        }
        if (!(step > 0 && step <= 1)) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "step must be in (0, 1], got " + step);
        }
        for (int a = 0; a < 3; a++) {
            if (shape[a] < 1 || patch[a] < 1) {
                throw new StunetException(ErrorCode.INVALID_REQUEST,
                        "shape and patch sizes must be positive: " + Arrays.toString(shape) + " / " + Arrays.toString(patch));
            }
        }
        return new SlidingWindowPlan(shape, patch, step);
    }

    /**
     * Start positions along one axis, as nnU-Net v1 computes them: the target step is
     * {@code patch * step}; {@code n = ceil((size - patch) / target) + 1}; the actual step spreads the
     * tiles evenly and each start is rounded half to even ({@code np.round}).
     */
    static int[] steps(int patch, int size, double step) {
        return SlabPlan.starts(patch, size, step);
    }

    public int[] shape() {
        return shape.clone();
    }

    public int[] patch() {
        return patch.clone();
    }

    public double step() {
        return stepFraction;
    }

    /** Zeros added before the volume on each axis. */
    public int[] padBelow() {
        return padBelow.clone();
    }

    /** Zeros added after the volume on each axis. */
    public int[] padAbove() {
        int[] out = new int[3];
        for (int a = 0; a < 3; a++) {
            out[a] = padded[a] - shape[a] - padBelow[a];
        }
        return out;
    }

    /** Shape of the padded volume the grid covers. */
    public int[] padded() {
        return padded.clone();
    }

    /** Start positions along axis {@code axis} (0 = z) in padded coordinates. */
    public int[] starts(int axis) {
        return starts[axis].clone();
    }

    public List<Tile> tiles() {
        return tiles;
    }

    public int tileCount() {
        return tiles.size();
    }

    /** Whether the Gaussian importance map applies (nnU-Net uses it only when there is more than one tile). */
    public boolean gaussianWeighted() {
        return tiles.size() > 1;
    }

    /**
     * Tiles that overlap the output slab {@code [z0, z1)} (unpadded network-space z), in global
     * order. These are exactly the tiles whose contributions the untiled run adds to the slab.
     */
    public List<Tile> tilesOverlapping(int z0, int z1) {
        int lo = z0 + padBelow[0];
        int hi = z1 + padBelow[0];
        List<Tile> out = new ArrayList<>();
        for (Tile t : tiles) {
            if (t.z() < hi && t.z() + patch[0] > lo) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * Index (in the global order) of the last tile that touches padded row (zp, yp). Rows are the
     * unit the rolling accumulator finalizes, so this is when a row's sum is complete.
     */
    public int lastTileTouching(int zp, int yp) {
        int kz = lastStartCovering(starts[0], patch[0], zp);
        int ky = lastStartCovering(starts[1], patch[1], yp);
        return (kz * starts[1].length + ky) * starts[2].length + starts[2].length - 1;
    }

    /**
     * Index (in the global order) of the last tile that touches padded voxel (zp, yp) and whose
     * x-start is {@code starts(2)[kx]}: with {@code kx} the last x-start covering some x, the last
     * tile touching (zp, yp, x).
     */
    public int lastTileTouching(int zp, int yp, int kx) {
        int kz = lastStartCovering(starts[0], patch[0], zp);
        int ky = lastStartCovering(starts[1], patch[1], yp);
        return (kz * starts[1].length + ky) * starts[2].length + kx;
    }

    private static int lastStartCovering(int[] s, int p, int v) {
        for (int i = s.length - 1; i >= 0; i--) {
            if (s[i] <= v && v < s[i] + p) {
                return i;
            }
        }
        throw new StunetException(ErrorCode.INTERNAL, "coordinate " + v + " is covered by no tile");
    }

    /**
     * Z-slab boundaries for {@code count} slabs of the unpadded volume: near-equal slab sizes, the
     * first ones one slice larger when the division is not even. Empty slabs are never produced.
     */
    public static int[] slabBounds(int depth, int count) {
        return SlabPlan.bounds(depth, count);
    }

    @Override
    public String toString() {
        return "SlidingWindowPlan{shape=" + Arrays.toString(shape) + ", patch=" + Arrays.toString(patch)
                + ", step=" + stepFraction + ", tiles=" + tiles.size() + "}";
    }
}
