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
 * forward passes and hands every output, in order, to its accumulation stage, so each slab sees
 * its inputs in plan order whatever the batch composition. With host accumulation the stage is a
 * second thread ({@link EngineOptions#pipelined}): the next forward pass runs while the previous
 * output is accumulated. Job state ({@code done}, futures, completion) is changed only by the
 * accumulation stage.
 */
final class DeviceWorker implements Runnable {
    private record Input(SlabJob job, int index) {
    }

    /**
     * One network call's outputs for {@code inputs} (owned by {@code manager}), or the error that
     * stopped them; {@code endOfBatch} is the batch's size on its last call, else 0.
     */
    private record Forwarded(List<Input> inputs, NDManager manager, NDArray output, RuntimeException error,
                             long forwardNanos, int endOfBatch) {
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
    private final AggregationStage<Forwarded> stage;
    private boolean closing;
    private long pendingInputs;
    private long busyNanos;
    /** Accumulation-stage sums for the batch being reported (touched by the accumulation stage only). */
    private long batchForwardNanos;
    private long batchAggregateNanos;

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
        this.stage = options.pipelined() && !onDevice
                ? AggregationStage.threaded("stunet-aggregate-" + model.name(), this::aggregate)
                : AggregationStage.inline(this::aggregate);
    }

    /** Whether this device keeps class sums on the host (Java heap) rather than on the device. */
    boolean hostAccumulation() {
        return !onDevice;
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

    /** Total time spent in forward passes and aggregation (may exceed wall time when the two overlap). */
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
                forwardBatch(batch);
            }
        } finally {
            stage.close();
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

    /**
     * Extracts the batch's patches and runs the network on them (one call per input when
     * batch-invariant), handing each call's output to the accumulation stage. A failure hands the
     * inputs not yet forwarded over as failed, so the accumulation stage, which owns every job's
     * state, fails their slabs in order after the outputs already handed over.
     */
    private void forwardBatch(List<Input> batch) {
        int next = 0;
        NDManager manager = null;
        try {
            for (int i = 0; i < batch.size(); i++) {
                Input in = batch.get(i);
                MirrorSet.Flip f = in.job.flipOf(in.index);
                PatchExtractor.extract(in.job.request.source(), in.job.plan, in.job.tileOf(in.index),
                        f.z(), f.y(), f.x(), batchBuffer, i * inputFloats);
            }
            int step = options.batchInvariant() ? 1 : batch.size();
            for (; next < batch.size(); next += step) {
                manager = model.newManager();
                long f0 = System.nanoTime();
                NDArray output = run(manager, next * inputFloats, step);
                Forwarded done = new Forwarded(batch.subList(next, next + step), manager, output, null,
                        System.nanoTime() - f0, next + step == batch.size() ? batch.size() : 0);
                manager = null;
                // Outside the failure path below: once handed over, these inputs belong to the stage.
                handOver(done);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            if (manager != null) {
                manager.close();
            }
            stage.accept(new Forwarded(batch.subList(next, batch.size()), null, null, failure(e), 0, batch.size()));
        }
    }

    /** Hands a forwarded output to the stage; whatever the stage throws is not a failure of the forward pass. */
    private void handOver(Forwarded done) {
        try {
            stage.accept(done);
        } catch (RuntimeException e) {
            Thread t = Thread.currentThread();
            t.getUncaughtExceptionHandler().uncaughtException(t, e);
        }
    }

    /** An error of slab work as the slabs' futures report it. */
    private RuntimeException failure(Throwable e) {
        if (e instanceof OutOfMemoryError) {
            // The slabs lose their accumulators (now garbage); the device loop and the other
            // slabs' work go on, and the caller learns why instead of seeing a hang.
            return new StunetException(ErrorCode.ENGINE_FAILURE, "out of memory on " + model.name()
                    + " while running slab work (" + e.getMessage() + "); give the JVM more heap (-Xmx) or split cases into"
                    + " more slabs", e);
        }
        return (RuntimeException) e;
    }

    /** Accumulates one network call's outputs into their slabs (or fails them), then reports and finishes slabs. */
    private void aggregate(Forwarded work) {
        long t0 = System.nanoTime();
        List<SlabJob> failed = new ArrayList<>();
        try (NDManager ignored = work.manager) {
            if (work.error != null) {
                fail(work.inputs, work.error, failed);
            } else {
                for (int i = 0; i < work.inputs.size(); i++) {
                    accumulate(work.inputs.get(i), work.output, i, failed);
                }
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            fail(work.inputs, failure(e), failed);
        }
        long t1 = System.nanoTime();
        synchronized (this) {
            busyNanos += work.forwardNanos + (t1 - t0);
            pendingInputs -= work.inputs.size();
        }
        batchForwardNanos += work.forwardNanos;
        batchAggregateNanos += t1 - t0;
        if (work.endOfBatch > 0) {
            listener.onBatch(model.name(), work.endOfBatch, options.batchSize(), batchForwardNanos, batchAggregateNanos);
            batchForwardNanos = 0;
            batchAggregateNanos = 0;
        }
        SlabJob last = null;
        for (Input in : work.inputs) {
            if (in.job != last && !in.job.future.isDone()) {
                listener.onProgress(in.job.request.caseId(), in.job.request.slabIndex(), in.job.done, in.job.total);
            }
            last = in.job;
        }
        finishCompleted(failed);
    }

    private static void fail(List<Input> inputs, RuntimeException error, List<SlabJob> failed) {
        for (Input in : inputs) {
            in.job.future.completeExceptionally(error);
            failed.add(in.job);
        }
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
        if (!finished.isEmpty() && options.collectAfterSlab()) {
            // On the aggregation thread, so before the next slab's first cells are allocated.
            System.gc();
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
