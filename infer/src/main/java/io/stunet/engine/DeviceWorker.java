package io.stunet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidModelException;
import io.stunet.error.StunetException;
import io.stunet.tiling.SegmentationHead;
import io.stunet.tiling.SlabAccumulator;
import io.stunet.window.PatchExtractor;
import io.stunet.window.Tile;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/**
 * The loop of one device slot: holds the slabs assigned to it, forms batches of up to B network
 * inputs across its first few active slabs (oldest first, each slab's inputs in order), runs the
 * forward pass and accumulates every output into its slab before the next batch, so each slab
 * sees its inputs in plan order whatever the batch composition.
 */
final class DeviceWorker implements Runnable {
    private record Input(SlabJob job, int index) {
    }

    private final DeviceModel model;
    private final EngineOptions options;
    private final EngineListener listener;
    private final Consumer<SlabJob> onFinished;
    /** Logits path: softmax by libtorch, sums in host rows. Also sizes the device accumulator's chunks. */
    private final HostAggregation aggregation;
    /** Split-head path (host accumulation only), or null: the head runs fused with softmax on the host. */
    private final FusedHeadAggregation fused;
    private final boolean onDevice;
    private final Deque<SlabJob> held = new ArrayDeque<>();
    private final float[] batchBuffer;
    private final int inputFloats;
    private boolean closing;
    private long pendingInputs;
    private long busyNanos;

    DeviceWorker(DeviceModel model, EngineOptions options, Consumer<SlabJob> onFinished) {
        this.model = model;
        this.options = options;
        this.listener = options.listener();
        this.onFinished = onFinished;
        int[] p = options.patch();
        this.inputFloats = options.inputChannels() * p[0] * p[1] * p[2];
        this.batchBuffer = new float[options.batchSize() * inputFloats];
        this.aggregation = new HostAggregation(options.classes(), p);
        this.onDevice = switch (options.accumulation()) {
            case HOST -> false;
            case DEVICE -> true;
            case AUTO -> !"cpu".equals(model.name());
        };
        SegmentationHead head = model.head();
        if (head != null && head.classes() != options.classes()) {
            throw new InvalidModelException("the model's head has " + head.classes() + " outputs, the model card lists "
                    + options.classes() + " classes");
        }
        this.fused = options.fusedHead() && head != null && !onDevice ? new FusedHeadAggregation(head, p) : null;
    }

    /** Whether this device runs the split head on the host instead of the network's own head. */
    boolean fusedHead() {
        return fused != null;
    }

    String name() {
        return model.name();
    }

    /** Network inputs assigned here and not yet accumulated: the load the scheduler balances. */
    synchronized long pendingInputs() {
        return pendingInputs;
    }

    /** Total time spent in forward passes and aggregation. */
    synchronized long busyNanos() {
        return busyNanos;
    }

    synchronized void assign(SlabJob job) {
        job.sink = onDevice
                ? new DeviceOutputAccumulator(model, job.plan, options.classes(), job.z0, job.z1, aggregation.chunkDepth())
                : new HostOutputAccumulator(fused != null ? fused : aggregation,
                        new SlabAccumulator(job.plan, options.classes(), job.z0, job.z1));
        held.addLast(job);
        pendingInputs += job.total;
        notifyAll();
    }

    synchronized void shutdown() {
        closing = true;
        notifyAll();
    }

    @Override
    public void run() {
        try {
            while (true) {
                List<Input> batch = nextBatch();
                if (batch == null) {
                    return;
                }
                runBatch(batch);
            }
        } finally {
            failAll(new StunetException(ErrorCode.ENGINE_FAILURE, "engine closed before the slab finished"));
            model.close();
        }
    }

    private synchronized List<Input> nextBatch() {
        while (true) {
            if (closing) {
                return null;
            }
            List<Input> batch = new ArrayList<>(options.batchSize());
            int active = 0;
            for (SlabJob job : held) {
                if (job.future.isDone()) {
                    continue;
                }
                if (active++ >= options.activeSlabsPerDevice()) {
                    break;
                }
                while (job.hasInputs() && batch.size() < options.batchSize()) {
                    if (job.issued == 0) {
                        job.startNanos = System.nanoTime();
                        job.device = model.name();
                    }
                    batch.add(new Input(job, job.issued++));
                }
            }
            if (!batch.isEmpty()) {
                return batch;
            }
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    private void runBatch(List<Input> batch) {
        long t0 = System.nanoTime();
        long forward = 0;
        List<SlabJob> failed = new ArrayList<>();
        try (NDManager manager = model.newManager()) {
            for (int i = 0; i < batch.size(); i++) {
                Input in = batch.get(i);
                MirrorSet.Flip f = in.job.flipOf(in.index);
                PatchExtractor.extract(in.job.request.source(), in.job.plan, in.job.tileOf(in.index),
                        f.z(), f.y(), f.x(), batchBuffer, i * inputFloats);
            }
            if (options.batchInvariant()) {
                for (int i = 0; i < batch.size(); i++) {
                    long f0 = System.nanoTime();
                    try (NDArray logits = run(manager, i * inputFloats, 1)) {
                        forward += System.nanoTime() - f0;
                        accumulate(batch.get(i), logits, 0, failed);
                    }
                }
            } else {
                long f0 = System.nanoTime();
                try (NDArray logits = run(manager, 0, batch.size())) {
                    forward += System.nanoTime() - f0;
                    for (int i = 0; i < batch.size(); i++) {
                        accumulate(batch.get(i), logits, i, failed);
                    }
                }
            }
        } catch (RuntimeException e) {
            for (Input in : batch) {
                in.job.future.completeExceptionally(e);
                failed.add(in.job);
            }
        } catch (OutOfMemoryError e) {
            // The slabs of this batch lose their accumulators (now garbage); the device loop and
            // the other slabs' work go on, and the caller learns why instead of seeing a hang.
            StunetException oom = new StunetException(ErrorCode.ENGINE_FAILURE, "out of memory on " + model.name()
                    + " while running slab work (" + e.getMessage() + "); give the JVM more heap (-Xmx) or split cases into"
                    + " more slabs", e);
            for (Input in : batch) {
                in.job.future.completeExceptionally(oom);
                failed.add(in.job);
            }
        }
        long t2 = System.nanoTime();
        synchronized (this) {
            busyNanos += t2 - t0;
            pendingInputs -= batch.size();
        }
        listener.onBatch(model.name(), batch.size(), options.batchSize(), forward, t2 - t0 - forward);
        SlabJob last = null;
        for (Input in : batch) {
            if (in.job != last && !in.job.future.isDone()) {
                listener.onProgress(in.job.request.caseId(), in.job.request.slabIndex(), in.job.done, in.job.total);
            }
            last = in.job;
        }
        finishCompleted(failed);
    }

    /** The network on {@code n} packed inputs: logits, or the head's input features on the fused path. */
    private NDArray run(NDManager manager, int offset, int n) {
        return fused != null
                ? model.features(manager, batchBuffer, offset, n, options.inputChannels(), options.patch())
                : model.forward(manager, batchBuffer, offset, n, options.inputChannels(), options.patch());
    }

    private void accumulate(Input in, NDArray logits, int i, List<SlabJob> failed) {
        if (in.job.future.isDone()) {
            return;
        }
        try (NDArray one = logits.get(i)) {
            Tile tile = in.job.tileOf(in.index);
            in.job.sink.accept(one, tile, in.job.flipOf(in.index), in.job.mirrors.scale(), in.job.lastOfTile(in.index));
            if (in.job.lastOfTile(in.index)) {
                in.job.sink.complete(tile);
            }
            in.job.done++;
        } catch (RuntimeException e) {
            in.job.future.completeExceptionally(e);
            failed.add(in.job);
        }
    }

    private void finishCompleted(List<SlabJob> failed) {
        List<SlabJob> finished = new ArrayList<>();
        synchronized (this) {
            Iterator<SlabJob> it = held.iterator();
            while (it.hasNext()) {
                SlabJob job = it.next();
                if (job.done == job.total || failed.contains(job)) {
                    it.remove();
                    pendingInputs -= job.total - job.issued;
                    finished.add(job);
                }
            }
        }
        for (SlabJob job : finished) {
            if (!job.future.isDone()) {
                try {
                    long nanos = System.nanoTime() - job.startNanos;
                    job.future.complete(new SlabResult(job.request.caseId(), job.request.slabIndex(),
                            job.request.slabCount(), job.sink.result(), model.name(), job.total, nanos,
                            job.sink.peakBytes()));
                } catch (RuntimeException e) {
                    job.future.completeExceptionally(e);
                }
            }
            job.sink.close();
            listener.onSlabDone(job.request.caseId(), job.request.slabIndex(), model.name(),
                    System.nanoTime() - job.startNanos);
            onFinished.accept(job);
        }
    }

    private void failAll(RuntimeException e) {
        List<SlabJob> left;
        synchronized (this) {
            left = new ArrayList<>(held);
            held.clear();
            pendingInputs = 0;
        }
        for (SlabJob job : left) {
            job.sink.close();
            job.future.completeExceptionally(e);
            onFinished.accept(job);
        }
    }
}
