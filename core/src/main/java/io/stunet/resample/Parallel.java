package io.stunet.resample;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Splits an index range into contiguous chunks and runs them on the common
 * {@link ForkJoinPool}, so the resampling kernels use every core without each call creating
 * threads. A chunk receives {@code [from, to)}; a kernel allocates its per-thread line buffers
 * once per chunk, which keeps extra memory at O(threads x line).
 */
public final class Parallel {
    private Parallel() {
    }

    /** The body of one chunk of an index range. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** Runs {@code body} over {@code [0, n)} in about four chunks per worker. */
    public static void forRange(int n, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int workers = Math.max(1, ForkJoinPool.getCommonPoolParallelism() + 1);
        int chunks = Math.min(n, workers * 4);
        if (chunks == 1) {
            body.run(0, n);
            return;
        }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            tasks.add(ForkJoinTask.adapt(() -> body.run(from, to)));
        }
        ForkJoinTask.invokeAll(tasks);
    }
}
