package io.stunet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.stunet.slab.SlabLabels;
import io.stunet.window.GaussianImportanceMap;
import io.stunet.window.SlidingWindowPlan;
import io.stunet.window.Tile;

import java.nio.FloatBuffer;

/**
 * Device-resident accumulation for one slab: per z-plane tensors of class sums (classes, y, x)
 * and weights (y, x) live on the model's device, are updated in place with
 * {@code (scale * p) * g}, and are argmaxed there once the last tile touching the plane is
 * complete; only the plane's labels are copied to the host. Planes are the rolling unit, so
 * device memory is bounded by {@code classes x (patch_z + step_z) x Y x X}. Chunking and the
 * per-voxel arithmetic follow {@link HostAggregation} (the logits path: libtorch softmax); the
 * host's fused-head path differs from it in the last bits only.
 */
final class DeviceOutputAccumulator implements OutputAccumulator {
    private final SlidingWindowPlan plan;
    private final int classes;
    private final int z0;
    private final int z1;
    private final int height;
    private final int width;
    private final int[] patch;
    private final int[] below;
    private final int chunkDepth;
    private final NDManager manager;
    private final NDArray gaussian;
    private final NDArray[] sums;
    private final NDArray[] weights;
    private final int[] lastTileOfPlane;
    private final byte[] labels8;
    private final short[] labels16;
    private int live;
    private int peak;

    DeviceOutputAccumulator(DeviceModel model, SlidingWindowPlan plan, int classes, int z0, int z1, int chunkDepth) {
        this.plan = plan;
        this.classes = classes;
        this.z0 = z0;
        this.z1 = z1;
        int[] shape = plan.shape();
        this.height = shape[1];
        this.width = shape[2];
        this.patch = plan.patch();
        this.below = plan.padBelow();
        this.chunkDepth = chunkDepth;
        this.manager = model.newManager();
        float[] g = plan.gaussianWeighted() ? GaussianImportanceMap.of(patch) : GaussianImportanceMap.ones(patch);
        this.gaussian = manager.create(FloatBuffer.wrap(g), new Shape(patch[0], patch[1], patch[2]));
        this.sums = new NDArray[z1 - z0];
        this.weights = new NDArray[z1 - z0];
        this.lastTileOfPlane = new int[z1 - z0];
        for (int z = z0; z < z1; z++) {
            int last = -1;
            for (int y = 0; y < height; y++) {
                last = Math.max(last, plan.lastTileTouching(z + below[0], y + below[1]));
            }
            lastTileOfPlane[z - z0] = last;
        }
        int n = (z1 - z0) * height * width;
        this.labels8 = classes <= 256 ? new byte[n] : null;
        this.labels16 = classes <= 256 ? null : new short[n];
    }

    @Override
    public void accept(NDArray logits, Tile tile, MirrorSet.Flip flip, float scale, boolean lastOfTile) {
        int pz = patch[0];
        int ys = Math.max(0, tile.y() - below[1]);
        int ye = Math.min(height, tile.y() - below[1] + patch[1]);
        int xs = Math.max(0, tile.x() - below[2]);
        int xe = Math.min(width, tile.x() - below[2] + patch[2]);
        int dys = ys - (tile.y() - below[1]);
        int dxs = xs - (tile.x() - below[2]);
        for (int dz0 = 0; dz0 < pz; dz0 += chunkDepth) {
            int depth = Math.min(chunkDepth, pz - dz0);
            int a = Math.max(tile.z() + dz0 - below[0], z0);
            int b = Math.min(tile.z() + dz0 + depth - below[0], z1);
            if (a >= b) {
                continue;
            }
            int s0 = flip.z() ? pz - dz0 - depth : dz0;
            try (NDManager scope = manager.newSubManager()) {
                NDArray part = logits.get(new NDIndex(":, {}:{}", s0, s0 + depth));
                NDArray probs = part.softmax(0);
                probs.attach(scope);
                part.attach(scope);
                int[] axes = flip.channelFirstAxes();
                NDArray oriented = axes.length == 0 ? probs : probs.flip(axes);
                oriented.attach(scope);
                NDArray g = gaussian.get(new NDIndex("{}:{}", dz0, dz0 + depth));
                g.attach(scope);
                NDArray weighted = oriented.mul(scale).mul(g);
                weighted.attach(scope);
                for (int z = a; z < b; z++) {
                    int dz = z - (tile.z() + dz0 - below[0]);
                    int p = z - z0;
                    if (sums[p] == null) {
                        sums[p] = manager.zeros(new Shape(classes, height, width), DataType.FLOAT32);
                        weights[p] = manager.zeros(new Shape(height, width), DataType.FLOAT32);
                        peak = Math.max(peak, ++live);
                    }
                    NDArray region = sums[p].get(new NDIndex(":, {}:{}, {}:{}", ys, ye, xs, xe));
                    region.attach(scope);
                    NDArray add = weighted.get(new NDIndex(":, {}, {}:{}, {}:{}", dz, dys, dys + ye - ys, dxs, dxs + xe - xs));
                    add.attach(scope);
                    region.addi(add);
                }
            }
        }
    }

    @Override
    public void complete(Tile tile) {
        int ys = Math.max(0, tile.y() - below[1]);
        int ye = Math.min(height, tile.y() - below[1] + patch[1]);
        int xs = Math.max(0, tile.x() - below[2]);
        int xe = Math.min(width, tile.x() - below[2] + patch[2]);
        int dys = ys - (tile.y() - below[1]);
        int dxs = xs - (tile.x() - below[2]);
        int a = Math.max(tile.z() - below[0], z0);
        int b = Math.min(tile.z() - below[0] + patch[0], z1);
        for (int z = a; z < b; z++) {
            int p = z - z0;
            int dz = z - (tile.z() - below[0]);
            try (NDManager scope = manager.newSubManager()) {
                NDArray region = weights[p].get(new NDIndex("{}:{}, {}:{}", ys, ye, xs, xe));
                region.attach(scope);
                NDArray g = gaussian.get(new NDIndex("{}, {}:{}, {}:{}", dz, dys, dys + ye - ys, dxs, dxs + xe - xs));
                g.attach(scope);
                region.addi(g);
                if (lastTileOfPlane[p] == tile.index()) {
                    NDArray best = sums[p].div(weights[p]).argMax(0);
                    best.attach(scope);
                    long[] l = best.toType(DataType.INT64, false).toLongArray();
                    int base = p * height * width;
                    for (int i = 0; i < l.length; i++) {
                        if (labels8 != null) {
                            labels8[base + i] = (byte) l[i];
                        } else {
                            labels16[base + i] = (short) l[i];
                        }
                    }
                    sums[p].close();
                    weights[p].close();
                    sums[p] = null;
                    weights[p] = null;
                    live--;
                }
            }
        }
    }

    @Override
    public SlabLabels result() {
        return new SlabLabels(z0, z1, height, width, labels8, labels16);
    }

    @Override
    public long peakBytes() {
        return (long) peak * (classes + 1) * height * width * 4L;
    }

    @Override
    public void close() {
        manager.close();
    }
}
