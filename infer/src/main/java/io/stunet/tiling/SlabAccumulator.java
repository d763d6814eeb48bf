package io.stunet.tiling;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.window.GaussianImportanceMap;
import io.stunet.window.SlidingWindowPlan;
import io.stunet.window.Tile;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Rolling float32 accumulator of Gaussian-weighted class probabilities for one output z-slab
 * (NUMERICS.md section 5), on the host. Storage is allocated per (z, y) row ({@code classes x
 * width} sums plus {@code width} weights) when a tile first touches the row, and the row is
 * argmaxed and recycled as soon as the last tile that touches it (known from the plan) is
 * complete. With tiles arriving in the plan's z-major order, live memory is bounded by about
 * {@code classes x (patch_z + step_z) x height x width} floats whatever the volume length, and
 * every voxel receives its contributions in the same order whichever slab or device computes
 * it, so results are bit-identical across tilings.
 *
 * <p>Per voxel and class the arithmetic is {@code acc += (scale * p) * g} for each network
 * output of a tile (mirrors in order), {@code weight += g} once per tile, and finally
 * {@code argmax_c(acc_c / weight)} with the first class winning ties, as numpy's argmax does.
 * Not thread-safe: one slab is fed by one device loop (which may split a chunk's rows over cores).
 */
public final class SlabAccumulator implements ProbabilitySink {
    private final SlidingWindowPlan plan;
    private final int classes;
    private final int z0;
    private final int z1;
    private final int height;
    private final int width;
    private final int[] patch;
    private final int[] below;
    private final float[] gaussian;
    private final float[][] sums;
    private final float[][] weights;
    private final byte[] labels8;
    private final short[] labels16;
    private final ArrayDeque<float[]> freeSums = new ArrayDeque<>();
    private final ArrayDeque<float[]> freeWeights = new ArrayDeque<>();
    private int liveRows;
    private int peakRows;
    private int finalizedRows;

    public SlabAccumulator(SlidingWindowPlan plan, int classes, int z0, int z1) {
        int[] shape = plan.shape();
        if (z0 < 0 || z1 > shape[0] || z0 >= z1) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "slab [" + z0 + ", " + z1 + ") outside depth " + shape[0]);
        }
        if (classes < 1 || classes > 65536) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "classes must be in [1, 65536], got " + classes);
        }
        this.plan = plan;
        this.classes = classes;
        this.z0 = z0;
        this.z1 = z1;
        this.height = shape[1];
        this.width = shape[2];
        this.patch = plan.patch();
        this.below = plan.padBelow();
        this.gaussian = plan.gaussianWeighted() ? GaussianImportanceMap.of(patch) : GaussianImportanceMap.ones(patch);
        int rows = (z1 - z0) * height;
        this.sums = new float[rows][];
        this.weights = new float[rows][];
        int n = rows * width;
        this.labels8 = classes <= 256 ? new byte[n] : null;
        this.labels16 = classes <= 256 ? null : new short[n];
    }

    /** Whether any voxel of tile-relative output planes {@code [dz0, dz0 + depth)} lies in this slab. */
    @Override
    public boolean needs(Tile tile, int dz0, int depth) {
        int a = Math.max(tile.z() + dz0 - below[0], z0);
        int b = Math.min(tile.z() + dz0 + depth - below[0], z1);
        return a < b;
    }

    /**
     * Adds {@code (scale * p) * g} for output planes {@code [dz0, dz0 + depth)} of a tile;
     * {@code probs} is (classes, depth, patch_y, patch_x), already mirrored back to the tile's
     * orientation. Voxels outside the slab or in the padding are skipped.
     */
    @Override
    public void add(Tile tile, int dz0, int depth, float[] probs, float scale) {
        accumulate(tile, dz0, depth, new ProbabilityRows(probs, classes, depth * patch[1] * patch[2], scale));
    }

    /**
     * Adds the contribution {@code kernel} computes for output planes {@code [dz0, dz0 + depth)}
     * of a tile, row by row: for every (z, y) row of the chunk inside this slab, the kernel gets
     * the accumulator row, the x-run the tile covers and the matching Gaussian weights. Rows are
     * disjoint, so they are split over cores without changing any voxel's arithmetic.
     */
    public void accumulate(Tile tile, int dz0, int depth, RowKernel kernel) {
        int py = patch[1];
        for (int dz = 0; dz < depth; dz++) {
            int z = tile.z() + dz0 + dz - below[0];
            for (int dy = 0; dy < py; dy++) {
                int y = tile.y() + dy - below[1];
                if (z >= z0 && z < z1 && y >= 0 && y < height && sums[(z - z0) * height + y] == null) {
                    allocate((z - z0) * height + y);
                }
            }
        }
        IntStream.range(0, depth * py).parallel().forEach(k -> addRow(tile, dz0, k / py, k % py, kernel));
    }

    private void addRow(Tile tile, int dz0, int dz, int dy, RowKernel kernel) {
        int z = tile.z() + dz0 + dz - below[0];
        int y = tile.y() + dy - below[1];
        if (z < z0 || z >= z1 || y < 0 || y >= height) {
            return;
        }
        int py = patch[1], px = patch[2];
        int xo0 = tile.x() - below[2];
        int dxs = Math.max(0, -xo0);
        int dxe = Math.min(px, width - xo0);
        int plane = py * px;
        kernel.addRow(sums[(z - z0) * height + y], width, xo0 + dxs, dz * plane + dy * px + dxs,
                gaussian, (dz0 + dz) * plane + dy * px + dxs, dxe - dxs);
    }

    /** The probabilities path: {@code row[c][x] += (scale * p[c][x]) * g[x]}. */
    private record ProbabilityRows(float[] probs, int classes, int chunk, float scale) implements RowKernel {
        @Override
        public void addRow(float[] row, int stride, int out, int src, float[] g, int g0, int n) {
            for (int c = 0; c < classes; c++) {
                int pb = c * chunk + src;
                int rb = c * stride + out;
                for (int i = 0; i < n; i++) {
                    row[rb + i] += (scale * probs[pb + i]) * g[g0 + i];
                }
            }
        }
    }

    /**
     * Most accumulator rows a slab holds at once when fed chunk by chunk in plan order, computed
     * from the plan alone (no arithmetic): the memory bound of a run, for any volume length.
     */
    public static int simulatePeakRows(SlidingWindowPlan plan, int z0, int z1, int chunkDepth) {
        int[] shape = plan.shape();
        int[] p = plan.patch();
        int[] b = plan.padBelow();
        int h = shape[1];
        boolean[] live = new boolean[(z1 - z0) * h];
        boolean[] done = new boolean[(z1 - z0) * h];
        int liveRows = 0;
        int peak = 0;
        for (Tile t : plan.tilesOverlapping(z0, z1)) {
            for (int dz0 = 0; dz0 < p[0]; dz0 += chunkDepth) {
                for (int dz = dz0; dz < Math.min(p[0], dz0 + chunkDepth); dz++) {
                    int z = t.z() + dz - b[0];
                    for (int dy = 0; dy < p[1]; dy++) {
                        int y = t.y() + dy - b[1];
                        if (z >= z0 && z < z1 && y >= 0 && y < h && !live[(z - z0) * h + y] && !done[(z - z0) * h + y]) {
                            live[(z - z0) * h + y] = true;
                            peak = Math.max(peak, ++liveRows);
                        }
                    }
                }
            }
            for (int dz = 0; dz < p[0]; dz++) {
                int z = t.z() + dz - b[0];
                for (int dy = 0; dy < p[1]; dy++) {
                    int y = t.y() + dy - b[1];
                    if (z >= z0 && z < z1 && y >= 0 && y < h && plan.lastTileTouching(z + b[0], y + b[1]) == t.index()) {
                        live[(z - z0) * h + y] = false;
                        done[(z - z0) * h + y] = true;
                        liveRows--;
                    }
                }
            }
        }
        return peak;
    }

    /**
     * Marks a tile as fully added (all its mirrored outputs): adds its Gaussian to the weights
     * once and finalizes every row this tile was the last to touch.
     */
    @Override
    public void complete(Tile tile) {
        int py = patch[1], px = patch[2], pz = patch[0];
        int xo0 = tile.x() - below[2];
        int dxs = Math.max(0, -xo0);
        int dxe = Math.min(px, width - xo0);
        List<Integer> finished = new ArrayList<>();
        for (int dz = 0; dz < pz; dz++) {
            int z = tile.z() + dz - below[0];
            if (z < z0 || z >= z1) {
                continue;
            }
            for (int dy = 0; dy < py; dy++) {
                int y = tile.y() + dy - below[1];
                if (y < 0 || y >= height) {
                    continue;
                }
                int r = (z - z0) * height + y;
                if (sums[r] == null) {
                    allocate(r);
                }
                float[] w = weights[r];
                int g0 = (dz * py + dy) * px;
                for (int dx = dxs; dx < dxe; dx++) {
                    w[xo0 + dx] += gaussian[g0 + dx];
                }
                if (plan.lastTileTouching(z + below[0], y + below[1]) == tile.index()) {
                    finished.add(r);
                }
            }
        }
        // Rows are independent: argmax them on all cores, then recycle their storage here.
        finished.parallelStream().forEach(this::argmaxRow);
        for (int r : finished) {
            recycle(r);
        }
    }

    private float[] allocate(int r) {
        float[] s = freeSums.poll();
        float[] w = freeWeights.poll();
        if (s == null) {
            s = new float[classes * width];
            w = new float[width];
        }
        sums[r] = s;
        weights[r] = w;
        liveRows++;
        peakRows = Math.max(peakRows, liveRows);
        return s;
    }

    /**
     * Labels of row {@code r}: {@code argmax_c(sum_c / weight)}, the first class winning ties.
     * Class by class along x (sequential reads) rather than voxel by voxel across 105 strided
     * class rows.
     */
    private void argmaxRow(int r) {
        float[] s = sums[r];
        float[] w = weights[r];
        float[] best = new float[width];
        int[] arg = new int[width];
        for (int x = 0; x < width; x++) {
            best[x] = s[x] / w[x];
        }
        for (int c = 1; c < classes; c++) {
            int b = c * width;
            for (int x = 0; x < width; x++) {
                float v = s[b + x] / w[x];
                if (v > best[x]) {
                    best[x] = v;
                    arg[x] = c;
                }
            }
        }
        int base = r * width;
        for (int x = 0; x < width; x++) {
            if (labels8 != null) {
                labels8[base + x] = (byte) arg[x];
            } else {
                labels16[base + x] = (short) arg[x];
            }
        }
        java.util.Arrays.fill(s, 0f);
        java.util.Arrays.fill(w, 0f);
    }

    private void recycle(int r) {
        freeSums.push(sums[r]);
        freeWeights.push(weights[r]);
        sums[r] = null;
        weights[r] = null;
        liveRows--;
        finalizedRows++;
    }

    /** The slab's labels; fails if some row never saw its last tile (a scheduling bug). */
    @Override
    public LabelSlab result() {
        if (finalizedRows != (z1 - z0) * height) {
            throw new StunetException(ErrorCode.INTERNAL,
                    "slab [" + z0 + ", " + z1 + ") finalized " + finalizedRows + " of " + (z1 - z0) * height + " rows");
        }
        freeSums.clear();
        freeWeights.clear();
        return new LabelSlab(z0, z1, height, width, labels8, labels16);
    }

    /** Most rows alive at once; times {@code (classes + 1) x width x 4} bytes is the peak accumulator size. */
    public int peakRows() {
        return peakRows;
    }

    /** Bytes of accumulator storage at the peak. */
    @Override
    public long peakBytes() {
        return (long) peakRows * (classes + 1) * width * 4L;
    }
}
