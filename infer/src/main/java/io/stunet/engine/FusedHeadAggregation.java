package io.stunet.engine;

import ai.djl.ndarray.NDArray;
import io.stunet.tiling.SegmentationHead;
import io.stunet.tiling.SlabAccumulator;
import io.stunet.tiling.Transpose;
import io.stunet.window.Tile;

/**
 * Host accumulation for models with a split head: the network returns the head's input
 * features (channels, z, y, x); each chunk, mirrored back and made voxel-major, goes to the
 * {@link SegmentationHead} kernel that computes logits, softmax and the weighted sums in one
 * pass per row. Compared with {@link HostAggregation} this never holds the {@code classes x
 * patch} logits (880 MB per 128^3 tile at 105 classes) nor a probability chunk, and it skips
 * the logits' round trip through memory. One instance per device thread.
 */
final class FusedHeadAggregation extends ChunkedHostOutputs {
    private final SegmentationHead head;
    private final float[] voxelMajor;

    FusedHeadAggregation(SegmentationHead head, int[] patch) {
        super(head.channels(), patch);
        this.head = head;
        this.voxelMajor = new float[chunkDepth() * head.channels() * patch[1] * patch[2]];
    }

    @Override
    NDArray prepare(NDArray part) {
        return part;
    }

    @Override
    void consume(Tile tile, int dz0, int depth, float[] buffer, float scale, boolean lastOfTile, SlabAccumulator sink) {
        int voxels = depth * patch[1] * patch[2];
        Transpose.toVoxelMajor(buffer, channels, voxels, voxelMajor);
        sink.accumulate(tile, dz0, depth, head.rows(voxelMajor, scale), lastOfTile);
    }
}
