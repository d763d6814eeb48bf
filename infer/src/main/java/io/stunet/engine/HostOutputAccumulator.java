package io.stunet.engine;

import ai.djl.ndarray.NDArray;
import io.stunet.slab.SlabLabels;
import io.stunet.tiling.SlabAccumulator;
import io.stunet.window.Tile;

/**
 * Host-memory accumulation: chunks copied out by {@link HostAggregation} (logits) or
 * {@link FusedHeadAggregation} (split-head features) into a {@link SlabAccumulator}.
 */
final class HostOutputAccumulator implements OutputAccumulator {
    private final HostOutputs aggregation;
    private final SlabAccumulator sink;

    HostOutputAccumulator(HostOutputs aggregation, SlabAccumulator sink) {
        this.aggregation = aggregation;
        this.sink = sink;
    }

    @Override
    public void accept(NDArray output, Tile tile, MirrorSet.Flip flip, float scale, boolean lastOfTile) {
        aggregation.accept(output, tile, flip, scale, lastOfTile, sink);
    }

    @Override
    public void complete(Tile tile) {
        sink.complete(tile);
    }

    @Override
    public SlabLabels result() {
        return sink.result();
    }

    @Override
    public long peakBytes() {
        return sink.peakBytes();
    }

    @Override
    public void close() {
        // Host rows are plain Java arrays; nothing native to release.
    }
}
