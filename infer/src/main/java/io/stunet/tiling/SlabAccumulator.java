package io.stunet.tiling;

import io.stunet.slab.SlabLabels;
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
 * (docs/numerics.md section 5), on the host.
 *
 * <p>Storage is allocated per cell, one (z, y) row cut in x where tiles start or end, when a
 * tile first touches the cell, and the cell is argmaxed and recycled as soon as the last tile
 * that touches it (known from the plan) is complete. In a cell, groups of eight voxels keep
 * their classes side by side ({@link CellLayout}): eight voxels fill a SIMD vector, a tile row
 * updates the cell as one contiguous run, and the network's channel-major outputs are read
 * without a transposition.
 * With tiles arriving in the plan's order (z-layer by z-layer), live memory is bounded by about {@code
 * classes x (patch_z + step_z) x height x width} floats whatever the volume length (in practice
 * about {@code classes x (patch_z - step_z) x height x width} plus one tile's new cells), and
 * every voxel receives its contributions in the same order whichever slab or device computes
 * it, so results are bit-identical across tilings.
 *
 * <p>Per voxel and class the arithmetic is {@code acc += (scale * p) * g} for each network
 * output of a tile (mirrors in order), {@code weight += g} once per tile, and finally
 * {@code argmax_c(acc_c / weight)} with the first class winning ties, as numpy's argmax does.
 * Not thread-safe: one slab is fed by one device loop (which may split a chunk's rows over cores).
 */
public final class SlabAccumulator implements ProbabilitySink {
    private final int classes;
    private final int z0;
    private final int z1;
    private final int height;
    private final int width;
    private final int[] patch;
    private final int[] below;
    private final float[] gaussian;
    private final CellGrid grid;
    /** Cell boundaries in output x: cell k covers {@code [cellStart[k], cellStart[k + 1])}. */
    private final int[] cellStart;
    private final int cellCount;
    /** [row * cellCount + cell]: class sums laid out as {@link CellLayout} says, or null while the cell is not live. */
    private final float[][] sums;
    private final float[][] weights;
    private final byte[] labels8;
    private final short[] labels16;
    /** Per (z, y) row: the tile whose weights the row last received (so complete() does not add them twice). */
    private final int[] weightedBy;
    /**
     * Recycled cell storage by cell width (voxels): cells of equal width share storage whichever
     * x-column they belong to, so a column's released cells serve the next column's new ones.
     */
    private final java.util.Map<Integer, ArrayDeque<float[]>> freeSums = new java.util.HashMap<>();
    private final java.util.Map<Integer, ArrayDeque<float[]>> freeWeights = new java.util.HashMap<>();
    private static final boolean SIMD = io.stunet.simd.Simd.available();
    /** Per-thread running maxima and their classes for {@link #argmaxCell} (cells are argmaxed on all cores). */
    private static final ThreadLocal<ArgmaxScratch> ARGMAX = ThreadLocal.withInitial(ArgmaxScratch::new);
    private long liveVoxels;
    private long peakVoxels;
    private long finalizedVoxels;

    public SlabAccumulator(SlidingWindowPlan plan, int classes, int z0, int z1) {
        int[] shape = plan.shape();
        if (z0 < 0 || z1 > shape[0] || z0 >= z1) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "slab [" + z0 + ", " + z1 + ") outside depth " + shape[0]);
        }
        if (classes < 1 || classes > 65536) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "classes must be in [1, 65536], got " + classes);
        }
        this.grid = new CellGrid(plan, z0, z1);
        this.classes = classes;
        this.z0 = z0;
        this.z1 = z1;
        this.height = grid.height;
        this.width = grid.width;
        this.patch = plan.patch();
        this.below = plan.padBelow();
        this.gaussian = plan.gaussianWeighted() ? GaussianImportanceMap.of(patch) : GaussianImportanceMap.ones(patch);
        this.cellStart = grid.cellStart;
        this.cellCount = grid.cellCount;
        for (int k = 0; k < cellCount; k++) {
            freeSums.computeIfAbsent(grid.cellWidth(k), w -> new ArrayDeque<>());
            freeWeights.computeIfAbsent(grid.cellWidth(k), w -> new ArrayDeque<>());
        }
        int rows = grid.rows();
        this.sums = new float[rows * cellCount][];
        this.weights = new float[rows * cellCount][];
        this.weightedBy = new int[rows];
        java.util.Arrays.fill(weightedBy, -1);
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
     * of a tile: for every (z, y) row of the chunk inside this slab, the kernel gets the cells
     * the tile covers in it (one run of voxels each, consecutive in the row) and the matching
     * Gaussian weights. Rows are disjoint, so they are split over cores without changing any
     * voxel's arithmetic.
     */
    public void accumulate(Tile tile, int dz0, int depth, RowKernel kernel) {
        accumulate(tile, dz0, depth, kernel, false);
    }

    /**
     * As {@link #accumulate(Tile, int, int, RowKernel)}; with {@code lastOfTile} (no other output
     * of this tile follows) the chunk's rows also get the tile's weights right away and every
     * cell of them this tile is the last to touch is finalized and recycled before the next
     * chunk allocates new cells, which lowers the peak by up to a tile's worth of cells.
     */
    public void accumulate(Tile tile, int dz0, int depth, RowKernel kernel, boolean lastOfTile) {
        int py = patch[1];
        int ka = grid.firstCell(tile);
        int kb = grid.lastCell(tile);
        grid.forEachRow(tile, dz0, dz0 + depth, (dz, dy, r) -> {
            for (int k = ka; k <= kb; k++) {
                if (sums[r * cellCount + k] == null) {
                    allocate(r, k);
                }
            }
        });
        IntStream.range(0, depth * py).parallel().forEach(i -> addRow(tile, dz0, i / py, i % py, ka, kb, kernel));
        if (lastOfTile) {
            weigh(tile, dz0, Math.min(patch[0], dz0 + depth));
        }
    }

    private void addRow(Tile tile, int dz0, int dz, int dy, int ka, int kb, RowKernel kernel) {
        int r = grid.row(tile, dz0 + dz, dy);
        if (r < 0) {
            return;
        }
        int py = patch[1], px = patch[2];
        int xo0 = tile.x() - below[2];
        int plane = py * px;
        int count = kb - ka + 1;
        float[][] cells = new float[count][];
        int[] out = new int[count];
        int[] n = new int[count];
        for (int k = ka; k <= kb; k++) {
            int xs = Math.max(cellStart[k], xo0);
            int xe = Math.min(cellStart[k + 1], xo0 + px);
            cells[k - ka] = sums[r * cellCount + k];
            out[k - ka] = xs - cellStart[k];
            n[k - ka] = xe - xs;
        }
        // The tile covers cells ka..kb without gaps, so their runs follow one another in the row.
        int dx = Math.max(cellStart[ka], xo0) - xo0;
        kernel.addRow(cells, out, n, count, dz * plane + dy * px + dx, gaussian, (dz0 + dz) * plane + dy * px + dx);
    }

    /** The probabilities path: {@code sum[c][x] += (scale * p[c][x]) * g[x]}, probabilities class-major. */
    private record ProbabilityRows(float[] probs, int classes, int voxels, float scale) implements RowKernel {
        @Override
        public void addRow(float[] cell, int out, int src, float[] g, int g0, int n) {
            int width = cell.length / classes;
            for (int i = 0; i < n; i++) {
                float gi = g[g0 + i];
                for (int c = 0; c < classes; c++) {
                    cell[CellLayout.index(width, classes, out + i, c)] += (scale * probs[c * voxels + src + i]) * gi;
                }
            }
        }
    }

    /**
     * Most accumulator voxels a slab holds at once when fed chunk by chunk in plan order, computed
     * from the plan alone (no arithmetic): times {@code (classes + 1) x 4} bytes, the memory bound
     * of a run, for any volume length. {@code mirrored}: the tile has several outputs (test-time
     * mirroring), so cells can only be released when the tile completes, not chunk by chunk.
     */
    public static long simulatePeakVoxels(SlidingWindowPlan plan, int z0, int z1, int chunkDepth, boolean mirrored) {
        CellGrid grid = new CellGrid(plan, z0, z1);
        int pz = plan.patch()[0];
        int nc = grid.cellCount;
        boolean[] live = new boolean[grid.rows() * nc];
        boolean[] done = new boolean[live.length];
        long[] voxels = {0, 0};
        for (Tile t : plan.tilesOverlapping(z0, z1)) {
            int ka = grid.firstCell(t);
            int kb = grid.lastCell(t);
            for (int dz0 = 0; dz0 < pz; dz0 += chunkDepth) {
                int dz1 = Math.min(pz, dz0 + chunkDepth);
                grid.forEachRow(t, dz0, dz1, (dz, dy, r) -> {
                    for (int k = ka; k <= kb; k++) {
                        int c = r * nc + k;
                        if (!live[c] && !done[c]) {
                            live[c] = true;
                            voxels[0] += grid.cellWidth(k);
                            voxels[1] = Math.max(voxels[1], voxels[0]);
                        }
                    }
                });
                if (!mirrored) {
                    release(grid, t, dz0, dz1, live, done, voxels);
                }
            }
            release(grid, t, 0, pz, live, done, voxels);
        }
        return voxels[1];
    }

    /** The simulation's {@link #weigh}: cells of planes {@code [dz0, dz1)} the tile is the last to touch leave. */
    private static void release(CellGrid grid, Tile t, int dz0, int dz1, boolean[] live, boolean[] done, long[] voxels) {
        int nc = grid.cellCount;
        int ka = grid.firstCell(t);
        int kb = grid.lastCell(t);
        grid.forEachRow(t, dz0, dz1, (dz, dy, r) -> {
            for (int k = ka; k <= kb; k++) {
                int c = r * nc + k;
                if (live[c] && grid.lastTouch(t, r, k)) {
                    live[c] = false;
                    done[c] = true;
                    voxels[0] -= grid.cellWidth(k);
                }
            }
        });
    }

    /**
     * Marks a tile as fully added (all its mirrored outputs): adds its Gaussian to the weights
     * once and finalizes every cell this tile was the last to touch.
     */
    @Override
    public void complete(Tile tile) {
        weigh(tile, 0, patch[0]);
    }

    /** Adds the tile's weights to the rows of its planes {@code [dz0, dz1)} not yet weighted by it, finalizing finished cells. */
    private void weigh(Tile tile, int dz0, int dz1) {
        int py = patch[1], px = patch[2];
        int xo0 = tile.x() - below[2];
        int ka = grid.firstCell(tile);
        int kb = grid.lastCell(tile);
        List<Integer> finished = new ArrayList<>();
        grid.forEachRow(tile, dz0, dz1, (dz, dy, r) -> {
            if (weightedBy[r] == tile.index()) {
                return;
            }
            weightedBy[r] = tile.index();
            int g0 = (dz * py + dy) * px;
            for (int k = ka; k <= kb; k++) {
                int c = r * cellCount + k;
                if (sums[c] == null) {
                    allocate(r, k);
                }
                float[] w = weights[c];
                int xs = Math.max(cellStart[k], xo0);
                int xe = Math.min(cellStart[k + 1], xo0 + px);
                for (int x = xs; x < xe; x++) {
                    w[x - cellStart[k]] += gaussian[g0 + x - xo0];
                }
                if (grid.lastTouch(tile, r, k)) {
                    finished.add(c);
                }
            }
        });
        // Cells are independent: argmax them on all cores, then recycle their storage here.
        finished.parallelStream().forEach(this::argmaxCell);
        for (int c : finished) {
            recycle(c);
        }
    }

    private void allocate(int r, int k) {
        int n = cellStart[k + 1] - cellStart[k];
        float[] s = freeSums.get(n).poll();
        float[] w = freeWeights.get(n).poll();
        if (s == null) {
            s = new float[classes * n];
            w = new float[n];
        }
        sums[r * cellCount + k] = s;
        weights[r * cellCount + k] = w;
        liveVoxels += n;
        peakVoxels = Math.max(peakVoxels, liveVoxels);
    }

    /**
     * Labels of cell {@code c}: {@code argmax_c(sum_c / weight)} per voxel, the first class winning
     * ties ({@link VectorArgmax} eight voxels at a time when the Vector API is present, the same
     * arithmetic).
     */
    private void argmaxCell(int c) {
        int r = c / cellCount;
        int k = c % cellCount;
        float[] s = sums[c];
        float[] w = weights[c];
        int n = w.length;
        int base = r * width + cellStart[k];
        ArgmaxScratch scratch = ARGMAX.get();
        if (scratch.value.length < n) {
            scratch.value = new float[n];
            scratch.label = new int[n];
        }
        float[] bestValue = scratch.value;
        int[] best = scratch.label;
        int done = SIMD ? VectorArgmax.labels(s, w, n, classes, bestValue, best) : 0;
        for (int x = done; x < n; x++) {
            bestValue[x] = s[CellLayout.index(n, classes, x, 0)] / w[x];
            best[x] = 0;
        }
        for (int cl = 1; cl < classes; cl++) {
            for (int x = done; x < n; x++) {
                float v = s[CellLayout.index(n, classes, x, cl)] / w[x];
                if (v > bestValue[x]) {
                    bestValue[x] = v;
                    best[x] = cl;
                }
            }
        }
        for (int x = 0; x < n; x++) {
            if (labels8 != null) {
                labels8[base + x] = (byte) best[x];
            } else {
                labels16[base + x] = (short) best[x];
            }
        }
        java.util.Arrays.fill(s, 0f);
        java.util.Arrays.fill(w, 0f);
    }

    private static final class ArgmaxScratch {
        float[] value = new float[0];
        int[] label = new int[0];
    }

    private void recycle(int c) {
        freeSums.get(weights[c].length).push(sums[c]);
        freeWeights.get(weights[c].length).push(weights[c]);
        liveVoxels -= weights[c].length;
        finalizedVoxels += weights[c].length;
        sums[c] = null;
        weights[c] = null;
    }

    /** The slab's labels; fails if some cell never saw its last tile (a scheduling bug). */
    @Override
    public SlabLabels result() {
        if (finalizedVoxels != (long) (z1 - z0) * height * width) {
            throw new StunetException(ErrorCode.INTERNAL,
                    "slab [" + z0 + ", " + z1 + ") finalized " + finalizedVoxels + " of " + (long) (z1 - z0) * height * width
                            + " voxels");
        }
        freeSums.values().forEach(ArrayDeque::clear);
        freeWeights.values().forEach(ArrayDeque::clear);
        return new SlabLabels(z0, z1, height, width, labels8, labels16);
    }

    /** Most accumulator voxels alive at once; times {@code (classes + 1) x 4} bytes is the peak size. */
    public long peakVoxels() {
        return peakVoxels;
    }

    /** Bytes of accumulator storage at the peak. */
    @Override
    public long peakBytes() {
        return peakVoxels * (classes + 1) * 4L;
    }
}
