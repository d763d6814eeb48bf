package io.stunet.kafka;

import io.stunet.records.StunetRecord;
import io.vertx.core.Future;

import java.util.List;

/**
 * What a pipeline stage does with one input record: write its blobs, then return the
 * records to publish downstream (status updates included). It is called on a Vert.x
 * context and must not block it: heavy or blocking work goes to {@code executeBlocking} or
 * the stage's own worker pool. The returned future fails with a
 * {@link io.stunet.error.StunetException} whose code decides between retry (retriable codes)
 * and dead letter; any other exception counts as {@code INTERNAL}.
 *
 * <p>Records may be delivered more than once (at-least-once), so the effect must be
 * idempotent: deterministic blob keys make a repeat rewrite identical bytes.
 */
@FunctionalInterface
public interface StageHandler<T extends StunetRecord> {
    Future<List<Outbound>> handle(Inbound<T> input);
}
