package io.stunet.engine;

import ai.djl.ndarray.NDArray;
import io.stunet.tiling.SlabAccumulator;
import io.stunet.window.Tile;

/** How one network output is turned into host accumulator updates, a chunk of z-planes at a time. */
interface HostOutputs {
    /**
     * Un-mirrors {@code output} of {@code tile} (computed under {@code flip}) and adds it to
     * {@code sink}; {@code lastOfTile} lets the sink finalize cells chunk by chunk.
     */
    void accept(NDArray output, Tile tile, MirrorSet.Flip flip, float scale, boolean lastOfTile, SlabAccumulator sink);

    /** Planes per chunk: fixed by the model and patch, never by slab, batch or device. */
    int chunkDepth();
}
