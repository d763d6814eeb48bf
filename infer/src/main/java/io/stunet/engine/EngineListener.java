package io.stunet.engine;

/**
 * Progress and metrics hooks of the {@link InferenceEngine}. Called from device threads, so
 * implementations must be quick and thread-safe (update counters, enqueue events). Every
 * method has an empty default.
 */
public interface EngineListener {
    /**
     * A forward pass finished on {@code device}: {@code filled} of {@code capacity} batch slots were
     * used; {@code forwardNanos} is the network call, {@code aggregateNanos} the softmax, weighting
     * and accumulation of its outputs.
     */
    default void onBatch(String device, int filled, int capacity, long forwardNanos, long aggregateNanos) {
    }

    /** {@code done} of {@code total} network inputs (tiles x mirrors) of a slab are accumulated. */
    default void onProgress(String caseId, int slabIndex, int done, int total) {
    }

    /** A slab finished (successfully or not; see the future). */
    default void onSlabDone(String caseId, int slabIndex, String device, long nanos) {
    }

    /** No-op listener. */
    EngineListener NONE = new EngineListener() {
    };
}
