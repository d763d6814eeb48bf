package io.stunet.engine;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.slab.SlabLabels;
import io.stunet.slab.SlabPlan;
import io.stunet.tiling.SlabAccumulator;
import io.stunet.window.SlidingWindowPlan;
import io.stunet.window.VolumeSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Sliding-window STU-Net inference over a pool of devices: the entry point of the
 * {@code predict} command and of the streaming infer service. Work arrives as z-slabs of
 * preprocessed cases; each accepted slab goes to the device slot with the fewest pending
 * network inputs, whose loop batches inputs across the slabs it holds, mirrors them for
 * test-time augmentation, runs the model and accumulates Gaussian-weighted probabilities in a
 * rolling per-slab accumulator; only labels come back. Tiled, multi-device and batched runs
 * give masks bit-identical to the single-slab run (docs/numerics.md section 5).
 *
 * <p>Intake is bounded: {@link #offer} refuses work beyond {@code intakeCapacity} unfinished
 * slabs, and {@link #whenCapacity} completes when a slot frees up, which is the signal a
 * Kafka consumer uses to pause and resume partitions.
 */
public final class InferenceEngine implements AutoCloseable {
    /** Share of the maximum heap one slab's accumulator may take; the rest is buffers, labels and headroom. */
    public static final double HEAP_SHARE = 0.95;
    private static final double GIB = 1024.0 * 1024 * 1024;
    private final EngineOptions options;
    private final MirrorSet mirrors;
    private final List<DeviceWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<CompletableFuture<Void>> capacityWaiters = new ArrayList<>();
    private int inFlight;
    private boolean closed;

    private InferenceEngine(EngineOptions options) {
        this.options = options;
        this.mirrors = MirrorSet.of(options.tta(), options.mirrorAxes());
    }

    /**
     * Loads {@code model} (a TorchScript file or a model directory with {@code model.pt}) once per
     * device entry and starts one loop thread per entry.
     */
    public static InferenceEngine open(Path model, EngineOptions options) {
        options.validate();
        InferenceEngine engine = new InferenceEngine(options);
        List<DeviceModel> loaded = new ArrayList<>();
        try {
            for (String device : options.devices()) {
                loaded.add(DeviceModel.load(model, device));
            }
        } catch (RuntimeException e) {
            loaded.forEach(DeviceModel::close);
            throw e;
        }
        for (DeviceModel m : loaded) {
            engine.workers.add(new DeviceWorker(m, options, engine::finished));
        }
        int i = 0;
        for (DeviceWorker w : engine.workers) {
            Thread t = new Thread(w, "stunet-infer-" + w.name() + "-" + i++);
            t.setDaemon(true);
            engine.threads.add(t);
            t.start();
        }
        return engine;
    }

    public EngineOptions options() {
        return options;
    }

    /** Network inputs per tile: 1, or the number of mirrored copies with TTA. */
    public int inputsPerTile() {
        return mirrors.size();
    }

    /** Whether {@link #offer} would accept a slab now. */
    public synchronized boolean hasCapacity() {
        return !closed && inFlight < options.intakeCapacity();
    }

    /**
     * Completes (on a device thread) when the intake has room again, or immediately if it has
     * now. Several waiters may be released by one free slot, so {@link #offer} can still refuse.
     */
    public synchronized CompletionStage<Void> whenCapacity() {
        if (closed || inFlight < options.intakeCapacity()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        capacityWaiters.add(f);
        return f;
    }

    /** Accepts the slab if the intake has room; the future completes with its labels or a {@link StunetException}. */
    public Optional<CompletableFuture<SlabResult>> offer(SlabRequest request) {
        SlabJob job = prepare(request);
        synchronized (this) {
            if (closed) {
                throw new StunetException(ErrorCode.ENGINE_FAILURE, "engine is closed");
            }
            if (inFlight >= options.intakeCapacity()) {
                return Optional.empty();
            }
            inFlight++;
        }
        leastLoaded().assign(job);
        return Optional.of(job.future);
    }

    /** Like {@link #offer} but waits (blocking the caller) until the intake has room. */
    public CompletableFuture<SlabResult> submit(SlabRequest request) {
        while (true) {
            Optional<CompletableFuture<SlabResult>> f = offer(request);
            if (f.isPresent()) {
                return f.get();
            }
            whenCapacity().toCompletableFuture().join();
        }
    }

    /** Predicts a whole case split into {@code slabs} z-slabs and stitches the labels. */
    public SlabLabels predictCase(String caseId, VolumeSource source, int slabs) {
        int n = SlabPlan.bounds(source.shape()[0], slabs).length - 1;
        List<CompletableFuture<SlabResult>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(submit(new SlabRequest(caseId, source, i, n)));
        }
        List<SlabLabels> parts = new ArrayList<>();
        for (CompletableFuture<SlabResult> f : futures) {
            try {
                parts.add(f.join().labels());
            } catch (CompletionException e) {
                if (e.getCause() instanceof StunetException se) {
                    throw se;
                }
                throw new StunetException(ErrorCode.ENGINE_FAILURE, "slab failed: " + e.getCause(), e.getCause());
            }
        }
        return SlabLabels.stitch(parts, source.shape()[0]);
    }

    /** Whether every device applies the model's split head fused on the host ({@link EngineOptions#fusedHead}). */
    public boolean fusedHead() {
        return workers.stream().allMatch(DeviceWorker::fusedHead);
    }

    /** Forward-pass plus aggregation time per device slot so far, in device order. */
    public long[] busyNanos() {
        return workers.stream().mapToLong(DeviceWorker::busyNanos).toArray();
    }

    private SlabJob prepare(SlabRequest request) {
        VolumeSource source = request.source();
        if (source.channels() != options.inputChannels()) {
            throw new StunetException(ErrorCode.INVALID_REQUEST,
                    "volume has " + source.channels() + " channels, model expects " + options.inputChannels());
        }
        int[] shape = source.shape();
        int[] bounds = SlabPlan.bounds(shape[0], request.slabCount());
        if (request.slabCount() < 1 || bounds.length - 1 != request.slabCount()
                || request.slabIndex() < 0 || request.slabIndex() >= request.slabCount()) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "slab " + request.slabIndex() + " of "
                    + request.slabCount() + " is not valid for depth " + shape[0] + " " + Arrays.toString(shape));
        }
        SlidingWindowPlan plan = SlidingWindowPlan.of(shape, options.patch(), options.step());
        int z0 = bounds[request.slabIndex()];
        int z1 = bounds[request.slabIndex() + 1];
        if (workers.stream().anyMatch(DeviceWorker::hostAccumulation)) {
            requireHeapFor(plan, z0, z1);
        }
        return new SlabJob(request, plan, z0, z1, mirrors);
    }

    /**
     * Host accumulation keeps a slab's cells on the Java heap. A slab whose predicted peak
     * ({@link SlabAccumulator#simulatePeakVoxels}, cells released per tile: an upper bound for
     * every path) cannot fit is refused up front: started, it would not fail fast but leave the
     * collector thrashing near a full heap.
     */
    private void requireHeapFor(SlidingWindowPlan plan, int z0, int z1) {
        long bytes = slabHeapBytes(plan, z0, z1, options.classes());
        long max = Runtime.getRuntime().maxMemory();
        if (bytes > HEAP_SHARE * max) {
            throw new StunetException(ErrorCode.VOLUME_TOO_LARGE, String.format(Locale.ROOT,
                    "slab [%d, %d) of a %s volume needs %.2f GiB of class sums (%d classes), more than %.0f%% of the"
                            + " %.2f GiB heap: split the case into more slabs or give the JVM more heap (-Xmx)",
                    z0, z1, Arrays.toString(plan.shape()), bytes / GIB, options.classes(), 100 * HEAP_SHARE, max / GIB));
        }
    }

    /**
     * Predicted peak of slab {@code [z0, z1)}'s class sums on the heap, the figure {@link #offer}
     * holds against {@link #HEAP_SHARE} of the maximum heap: the accumulator's peak with cells
     * released per tile ({@link SlabAccumulator#simulatePeakVoxels}), an upper bound for every
     * aggregation path.
     */
    public static long slabHeapBytes(SlidingWindowPlan plan, int z0, int z1, int classes) {
        return SlabAccumulator.simulatePeakVoxels(plan, z0, z1, plan.patch()[0], true) * (classes + 1) * 4L;
    }

    private DeviceWorker leastLoaded() {
        DeviceWorker best = workers.get(0);
        long load = best.pendingInputs();
        for (int i = 1; i < workers.size(); i++) {
            long l = workers.get(i).pendingInputs();
            if (l < load) {
                best = workers.get(i);
                load = l;
            }
        }
        return best;
    }

    private void finished(SlabJob job) {
        List<CompletableFuture<Void>> release;
        synchronized (this) {
            inFlight--;
            release = new ArrayList<>(capacityWaiters);
            capacityWaiters.clear();
        }
        release.forEach(f -> f.complete(null));
    }

    /** Stops the device loops (unfinished slabs fail with ENGINE_FAILURE) and releases the models. */
    @Override
    public void close() {
        List<CompletableFuture<Void>> release;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            release = new ArrayList<>(capacityWaiters);
            capacityWaiters.clear();
        }
        workers.forEach(DeviceWorker::shutdown);
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        release.forEach(f -> f.complete(null));
    }
}
