package io.stunet.engine;

import io.stunet.window.SlidingWindowPlan;
import io.stunet.window.Tile;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The state of one accepted slab: its tiles in global order, how many network inputs (tile x
 * mirror) were issued to batches and how many accumulated, its sink and its future. Inputs are
 * issued and accumulated strictly in order by the one device thread that holds the job.
 */
final class SlabJob {
    final SlabRequest request;
    final SlidingWindowPlan plan;
    final int z0;
    final int z1;
    final List<Tile> tiles;
    final MirrorSet mirrors;
    /** Set by the device that takes the job, because the accumulator may live on that device. */
    OutputAccumulator sink;
    final CompletableFuture<SlabResult> future = new CompletableFuture<>();
    final int total;
    int issued;
    int done;
    long startNanos;
    String device;

    SlabJob(SlabRequest request, SlidingWindowPlan plan, int z0, int z1, MirrorSet mirrors) {
        this.request = request;
        this.plan = plan;
        this.z0 = z0;
        this.z1 = z1;
        this.tiles = plan.tilesOverlapping(z0, z1);
        this.mirrors = mirrors;
        this.total = tiles.size() * mirrors.size();
    }

    boolean hasInputs() {
        return issued < total;
    }

    Tile tileOf(int input) {
        return tiles.get(input / mirrors.size());
    }

    MirrorSet.Flip flipOf(int input) {
        return mirrors.flips().get(input % mirrors.size());
    }

    /** Whether input {@code input} is the last mirror of its tile. */
    boolean lastOfTile(int input) {
        return input % mirrors.size() == mirrors.size() - 1;
    }
}
