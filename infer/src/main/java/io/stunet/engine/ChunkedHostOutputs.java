package io.stunet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.stunet.tiling.SlabAccumulator;
import io.stunet.window.Tile;

import java.nio.ByteOrder;

/**
 * The chunk loop of the logits path ({@link HostAggregation}): a network output (channels, z,
 * y, x) is handled a few z-planes at a time; each chunk is sliced (a view), transformed by
 * libtorch ({@link #prepare}), mirrored back, copied into one reusable host buffer and handed
 * to {@link #consume}. {@link FusedHeadAggregation} reads its features in place instead and
 * only shares {@link #chunkDepth(int, int[])}, so both paths release cells at the same planes.
 * Chunk boundaries depend only on the channel count and patch (32 MiB per chunk), never on
 * slab, batch or device, which keeps every voxel's arithmetic identical across tilings. One
 * instance per device thread.
 */
abstract class ChunkedHostOutputs implements HostOutputs {
    /** Target chunk size in floats (32 MiB): small next to a tile's output, large enough to amortize calls. */
    private static final int CHUNK_FLOATS = 8 << 20;

    final int channels;
    final int[] patch;
    private final int chunkDepth;
    private final float[] buffer;

    ChunkedHostOutputs(int channels, int[] patch) {
        this.channels = channels;
        this.patch = patch.clone();
        this.chunkDepth = chunkDepth(channels, patch);
        this.buffer = new float[chunkDepth * channels * patch[1] * patch[2]];
    }

    /** Planes per chunk for outputs of {@code channels} channels: about 32 MiB, at least one plane. */
    static int chunkDepth(int channels, int[] patch) {
        return Math.max(1, Math.min(patch[0], CHUNK_FLOATS / (channels * patch[1] * patch[2])));
    }

    @Override
    public int chunkDepth() {
        return chunkDepth;
    }

    /** The chunk as the consumer wants it (still in the network's orientation); may return {@code part} itself. */
    abstract NDArray prepare(NDArray part);

    /** Adds chunk {@code [dz0, dz0 + depth)} of the tile, now in {@code buffer} as (channels, depth, y, x). */
    abstract void consume(Tile tile, int dz0, int depth, float[] buffer, float scale, boolean lastOfTile,
                          SlabAccumulator sink);

    @Override
    public void accept(NDArray output, Tile tile, MirrorSet.Flip flip, float scale, boolean lastOfTile,
                       SlabAccumulator sink) {
        int pz = patch[0];
        int[] axes = flip.channelFirstAxes();
        for (int dz0 = 0; dz0 < pz; dz0 += chunkDepth) {
            int depth = Math.min(chunkDepth, pz - dz0);
            if (!sink.needs(tile, dz0, depth)) {
                continue;
            }
            int s0 = flip.z() ? pz - dz0 - depth : dz0;
            try (NDArray part = output.get(new NDIndex(":, {}:{}", s0, s0 + depth))) {
                NDArray prepared = prepare(part);
                // A slice is a strided view; flip() and duplicate() give the contiguous copy we read.
                NDArray oriented = axes.length > 0 ? prepared.flip(axes) : prepared == part ? part.duplicate() : prepared;
                try {
                    int n = channels * depth * patch[1] * patch[2];
                    oriented.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(buffer, 0, n);
                } finally {
                    if (oriented != prepared) {
                        oriented.close();
                    }
                    if (prepared != part) {
                        prepared.close();
                    }
                }
            }
            consume(tile, dz0, depth, buffer, scale, lastOfTile, sink);
        }
    }
}
