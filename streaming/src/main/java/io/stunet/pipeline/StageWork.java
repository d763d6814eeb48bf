package io.stunet.pipeline;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;

import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;

/**
 * Blocking stage work on a stage's own worker pool. A pool that was closed under in-flight
 * records (a stage stopped without grace) rejects the work; that is reported as
 * {@code UNAVAILABLE}, which is retriable, so the stage consumer releases the record for the
 * next owner instead of dead-lettering a good case.
 */
public final class StageWork {
    private StageWork() {
    }

    public static <T> Future<T> onPool(WorkerExecutor pool, Callable<T> work, String stage) {
        Future<T> f;
        try {
            f = pool.executeBlocking(work, false);
        } catch (RejectedExecutionException | IllegalStateException e) {
            f = Future.failedFuture(e);
        }
        return f.recover(e -> Future.failedFuture(e instanceof RejectedExecutionException || e instanceof IllegalStateException
                ? new StunetException(ErrorCode.UNAVAILABLE, stage + " stage is stopping", e) : e));
    }
}
