package io.stunet.tiling;

import io.stunet.slab.SlabLabels;
import io.stunet.window.Tile;

/**
 * Where one slab's softmax probabilities go, chunk by chunk, in the plan's tile order. The
 * host implementation is {@link SlabAccumulator}; a device-resident implementation may keep
 * the same rows as tensors. Contract: for each tile, {@link #add} for every needed chunk of
 * every mirrored output (mirrors in order), then {@link #complete}; after the last tile,
 * {@link #result}.
 */
public interface ProbabilitySink {
    /** Whether tile-relative output planes {@code [dz0, dz0 + depth)} touch this slab at all. */
    boolean needs(Tile tile, int dz0, int depth);

    /** Adds {@code (scale * p) * g}; {@code probs} is (classes, depth, patch_y, patch_x) in tile orientation. */
    void add(Tile tile, int dz0, int depth, float[] probs, float scale);

    /** All outputs of {@code tile} were added: add its weights once and finalize finished rows. */
    void complete(Tile tile);

    /** The slab's labels once every tile is complete. */
    SlabLabels result();

    /** Accumulator bytes at the peak, for metrics. */
    long peakBytes();
}
