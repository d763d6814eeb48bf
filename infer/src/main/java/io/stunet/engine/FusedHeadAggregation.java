package io.stunet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.stunet.tiling.SegmentationHead;
import io.stunet.tiling.SlabAccumulator;
import io.stunet.tiling.Transpose;
import io.stunet.window.Tile;

import java.nio.ByteOrder;

/**
 * Host accumulation for models with a split head: the network returns the head's input
 * features (channels, z, y, x), a few z-planes of which are sliced and mirrored back by
 * libtorch, copied into one reusable host buffer, made voxel-major, and handed to the {@link SegmentationHead}
 * kernel that computes logits, softmax and the weighted sums in one pass per row. Compared
 * with {@link HostAggregation} this never holds the {@code classes x patch} logits (880 MB per
 * 128^3 tile at 105 classes) nor a probability chunk, and it skips the logits' round trip
 * through memory. One instance per device thread.
 */
final class FusedHeadAggregation implements HostOutputs {
    /** Target chunk size in floats (32 MiB), as in {@link HostAggregation}. */
    private static final int CHUNK_FLOATS = 8 << 20;

    private final SegmentationHead head;
    private final int[] patch;
    private final int chunkDepth;
    private final float[] buffer;
    private final float[] voxelMajor;

    FusedHeadAggregation(SegmentationHead head, int[] patch) {
        this.head = head;
        this.patch = patch.clone();
        int plane = head.channels() * patch[1] * patch[2];
        this.chunkDepth = Math.max(1, Math.min(patch[0], CHUNK_FLOATS / plane));
        this.buffer = new float[chunkDepth * plane];
        this.voxelMajor = new float[chunkDepth * plane];
    }

    @Override
    public int chunkDepth() {
        return chunkDepth;
    }

    @Override
    public void accept(NDArray features, Tile tile, MirrorSet.Flip flip, float scale, boolean lastOfTile,
                       SlabAccumulator sink) {
        int pz = patch[0];
        int plane = patch[1] * patch[2];
        int[] axes = flip.channelFirstAxes();
        for (int dz0 = 0; dz0 < pz; dz0 += chunkDepth) {
            int depth = Math.min(chunkDepth, pz - dz0);
            if (!sink.needs(tile, dz0, depth)) {
                continue;
            }
            int s0 = flip.z() ? pz - dz0 - depth : dz0;
            // The slice is a strided view; flip() or duplicate() makes the contiguous copy we read.
            try (NDArray part = features.get(new NDIndex(":, {}:{}", s0, s0 + depth));
                 NDArray oriented = axes.length == 0 ? part.duplicate() : part.flip(axes)) {
                int n = head.channels() * depth * plane;
                oriented.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(buffer, 0, n);
            }
            Transpose.toVoxelMajor(buffer, head.channels(), depth * plane, voxelMajor);
            sink.accumulate(tile, dz0, depth, head.rows(voxelMajor, scale), lastOfTile);
        }
    }
}
