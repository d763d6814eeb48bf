package io.stunet.engine;

import ai.djl.ndarray.NDArray;
import io.stunet.slab.SlabLabels;
import io.stunet.window.Tile;

/**
 * Receives the raw network outputs of one slab in plan order and turns them into labels:
 * softmax, un-mirroring, Gaussian weighting, accumulation, argmax. {@link HostOutputAccumulator}
 * keeps the sums in host memory (CPU default; with the fused head when the model exports it);
 * {@link DeviceOutputAccumulator} keeps them as tensors on the model's device so that only
 * labels leave a GPU. All paths are float32 and deterministic; they differ from each other in
 * the last bits of the probabilities only.
 */
interface OutputAccumulator extends AutoCloseable {
    /**
     * Adds the output (logits, or head features on the fused path) of {@code tile} computed
     * under {@code flip}; {@code lastOfTile} when no other mirror of the tile follows, so that
     * finished cells can be released chunk by chunk.
     */
    void accept(NDArray logits, Tile tile, MirrorSet.Flip flip, float scale, boolean lastOfTile);

    /** Every mirrored output of {@code tile} was accepted. */
    void complete(Tile tile);

    SlabLabels result();

    long peakBytes();

    @Override
    void close();
}
