package io.stunet.engine;

import ai.djl.ndarray.NDArray;
import io.stunet.tiling.SlabAccumulator;
import io.stunet.window.Tile;

/**
 * The logits path: each chunk of the network's logits (classes, z, y, x) is softmaxed over
 * channels and mirrored back by libtorch, copied into one reusable host buffer and added to the
 * slab's accumulator, so no temporary ever holds more than one chunk. Used for models without
 * a split head; {@link DeviceOutputAccumulator} sizes its chunks from it too.
 */
final class HostAggregation extends ChunkedHostOutputs {
    HostAggregation(int classes, int[] patch) {
        super(classes, patch);
    }

    @Override
    NDArray prepare(NDArray part) {
        return part.softmax(0);
    }

    @Override
    void consume(Tile tile, int dz0, int depth, float[] buffer, float scale, boolean lastOfTile, SlabAccumulator sink) {
        sink.add(tile, dz0, depth, buffer, scale);
    }
}
