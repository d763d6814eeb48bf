package io.stunet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.stunet.tiling.SegmentationHead;
import io.stunet.tiling.SlabAccumulator;
import io.stunet.window.Tile;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Host accumulation for models with a split head: the network returns the head's input
 * features (channels, z, y, x), and the {@link SegmentationHead} kernel computes logits, softmax
 * and the weighted sums from them in one pass per row, a chunk of z-planes at a time (the
 * chunks of {@link ChunkedHostOutputs}, so cells are released at the same points). The features
 * are read from the tensor's memory: an un-mirrored output is never copied as a whole (the
 * kernel copies one row at a time into a per-thread array), a mirrored one is flipped back one
 * chunk at a time by libtorch. Compared with {@link HostAggregation}
 * this never holds the {@code classes x patch} logits (880 MB per 128^3 tile at 105 classes)
 * nor a probability chunk. Stateless apart from the head; one instance per device.
 */
final class FusedHeadAggregation implements HostOutputs {
    private final SegmentationHead head;
    private final int[] patch;
    private final int chunkDepth;

    FusedHeadAggregation(SegmentationHead head, int[] patch) {
        this.head = head;
        this.patch = patch.clone();
        this.chunkDepth = ChunkedHostOutputs.chunkDepth(head.channels(), patch);
    }

    @Override
    public int chunkDepth() {
        return chunkDepth;
    }

    @Override
    public void accept(NDArray output, Tile tile, MirrorSet.Flip flip, float scale, boolean lastOfTile,
                       SlabAccumulator sink) {
        int pz = patch[0];
        int plane = patch[1] * patch[2];
        int[] axes = flip.channelFirstAxes();
        FloatBuffer whole = axes.length == 0 ? floats(output) : null;
        for (int dz0 = 0; dz0 < pz; dz0 += chunkDepth) {
            int depth = Math.min(chunkDepth, pz - dz0);
            if (!sink.needs(tile, dz0, depth)) {
                continue;
            }
            if (whole != null) {
                sink.accumulate(tile, dz0, depth, head.rows(whole, pz * plane, dz0 * plane, scale), lastOfTile);
                continue;
            }
            int s0 = flip.z() ? pz - dz0 - depth : dz0;
            try (NDArray part = output.get(new NDIndex(":, {}:{}", s0, s0 + depth)); NDArray back = part.flip(axes)) {
                sink.accumulate(tile, dz0, depth, head.rows(floats(back), depth * plane, 0, scale), lastOfTile);
            }
        }
    }

    /**
     * The tensor's memory as floats: a view when it is contiguous (the network's output, a flip's
     * result), else a contiguous copy owned by the tensor's manager.
     */
    private static FloatBuffer floats(NDArray a) {
        return a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
