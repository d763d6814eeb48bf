package io.stunet.kafka;

import io.stunet.records.StunetRecord;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.util.function.BooleanSupplier;

/**
 * One pipeline stage as a Vert.x verticle: deploying it starts a {@link StageConsumer} whose
 * handlers run on this verticle's context; undeploying it (or closing Vert.x on SIGTERM)
 * stops the consumer gracefully (stop fetching, finish or release in-flight work, commit).
 * Stages deploy together in one JVM ({@code run}) or alone ({@code serve --roles infer}).
 */
public final class StageVerticle<T extends StunetRecord> extends VerticleBase {
    private final StreamingRuntime runtime;
    private final String name;
    private final String topic;
    private final Class<T> type;
    private final StageHandler<T> handler;
    private final BooleanSupplier capacity;
    private StageConsumer<T> consumer;

    /**
     * @param capacity whether the stage can take more work beyond the in-flight bound, or {@code null}
     */
    public StageVerticle(StreamingRuntime runtime, String name, String topic, Class<T> type,
                         StageHandler<T> handler, BooleanSupplier capacity) {
        this.runtime = runtime;
        this.name = name;
        this.topic = topic;
        this.type = type;
        this.handler = handler;
        this.capacity = capacity;
    }

    @Override
    public Future<?> start() {
        consumer = runtime.stage(name, topic, type, handler, capacity);
        return consumer.start();
    }

    @Override
    public Future<?> stop() {
        return consumer == null ? Future.succeededFuture() : consumer.stop();
    }

    /** The running consumer (for gauges and tests); {@code null} before deployment. */
    public StageConsumer<T> consumer() {
        return consumer;
    }
}
