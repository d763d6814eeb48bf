package io.stunet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.stunet.tiling.ProbabilitySink;
import io.stunet.tiling.SlabAccumulator;
import io.stunet.window.Tile;

import java.nio.ByteOrder;

/**
 * Turns one network output (classes, z, y, x) into softmax probabilities and hands them to a
 * {@link ProbabilitySink} a few z-planes at a time, so no temporary ever holds more than one
 * chunk: the chunk is sliced from the logits (a view), softmaxed over channels and mirrored
 * back by libtorch, copied into one reusable host buffer and accumulated there. Chunk
 * boundaries depend only on the model (classes and patch), never on slab, batch or device,
 * which keeps every voxel's arithmetic identical across tilings. One instance per device thread.
 */
final class HostAggregation implements HostOutputs {
    /** Target chunk size in floats (32 MiB): small next to a tile's logits, large enough to amortize calls. */
    private static final int CHUNK_FLOATS = 8 << 20;

    private final int classes;
    private final int[] patch;
    private final int chunkDepth;
    private final float[] buffer;

    HostAggregation(int classes, int[] patch) {
        this.classes = classes;
        this.patch = patch.clone();
        int plane = classes * patch[1] * patch[2];
        this.chunkDepth = Math.max(1, Math.min(patch[0], CHUNK_FLOATS / plane));
        this.buffer = new float[chunkDepth * plane];
    }

    @Override
    public int chunkDepth() {
        return chunkDepth;
    }

    @Override
    public void accept(NDArray logits, Tile tile, MirrorSet.Flip flip, float scale, boolean lastOfTile,
                       SlabAccumulator sink) {
        accept(logits, tile, flip, scale, (ProbabilitySink) sink);
    }

    /** Softmax, un-mirror and accumulate the output {@code logits} of {@code tile} under {@code flip}. */
    void accept(NDArray logits, Tile tile, MirrorSet.Flip flip, float scale, ProbabilitySink sink) {
        int pz = patch[0];
        int[] axes = flip.channelFirstAxes();
        for (int dz0 = 0; dz0 < pz; dz0 += chunkDepth) {
            int depth = Math.min(chunkDepth, pz - dz0);
            if (!sink.needs(tile, dz0, depth)) {
                continue;
            }
            int s0 = flip.z() ? pz - dz0 - depth : dz0;
            try (NDArray part = logits.get(new NDIndex(":, {}:{}", s0, s0 + depth));
                 NDArray probs = part.softmax(0)) {
                NDArray oriented = axes.length == 0 ? probs : probs.flip(axes);
                try {
                    int n = classes * depth * patch[1] * patch[2];
                    oriented.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(buffer, 0, n);
                } finally {
                    if (oriented != probs) {
                        oriented.close();
                    }
                }
            }
            sink.add(tile, dz0, depth, buffer, scale);
        }
    }
}
