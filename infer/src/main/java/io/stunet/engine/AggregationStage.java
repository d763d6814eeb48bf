package io.stunet.engine;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Where a device slot's network outputs are accumulated: inline on the device thread, or on a
 * thread of its own that takes one output at a time, in order. The hand-over is synchronous, so
 * at most one output waits while another is accumulated: overlap of the two stages for the
 * memory of one extra output.
 */
abstract class AggregationStage<T> implements AutoCloseable {
    /** Runs {@code consumer} in the calling thread. */
    static <T> AggregationStage<T> inline(Consumer<T> consumer) {
        return new AggregationStage<>() {
            @Override
            void accept(T work) {
                consumer.accept(work);
            }

            @Override
            public void close() {
            }
        };
    }

    /** Runs {@code consumer} on a new daemon thread named {@code name}, items in the order accepted. */
    static <T> AggregationStage<T> threaded(String name, Consumer<T> consumer) {
        return new Threaded<>(name, consumer);
    }

    /** Hands {@code work} over; with a thread of its own, returns once the stage has taken it. */
    abstract void accept(T work);

    /** Processes everything accepted so far, then stops. */
    @Override
    public abstract void close();

    private static final class Threaded<T> extends AggregationStage<T> {
        private static final Object STOP = new Object();
        private final SynchronousQueue<Object> handOver = new SynchronousQueue<>();
        private final Consumer<T> consumer;
        private final Thread thread;

        Threaded(String name, Consumer<T> consumer) {
            this.consumer = consumer;
            this.thread = new Thread(this::loop, name);
            thread.setDaemon(true);
            thread.start();
        }

        @SuppressWarnings("unchecked")
        private void loop() {
            while (true) {
                Object work;
                try {
                    work = handOver.take();
                } catch (InterruptedException e) {
                    return;
                }
                if (work == STOP) {
                    return;
                }
                try {
                    consumer.accept((T) work);
                } catch (RuntimeException | Error e) {
                    // The consumer fails slabs itself; anything escaping it is a bug, which must
                    // not stop the stage (the device thread would wait for it forever).
                    thread.getUncaughtExceptionHandler().uncaughtException(thread, e);
                }
            }
        }

        @Override
        void accept(T work) {
            if (!handOver(work)) {
                // The stage's thread is gone (it was interrupted): nothing accepted may be lost.
                consumer.accept(work);
            }
        }

        @Override
        public void close() {
            if (handOver(STOP)) {
                boolean interrupted = false;
                while (thread.isAlive()) {
                    try {
                        thread.join();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /**
         * Waits until the stage's thread takes {@code item}, uninterruptibly (giving up on an
         * interrupt could let this thread accumulate while the stage still does); false if that
         * thread has ended.
         */
        private boolean handOver(Object item) {
            boolean interrupted = false;
            try {
                while (thread.isAlive()) {
                    try {
                        if (handOver.offer(item, 100, TimeUnit.MILLISECONDS)) {
                            return true;
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                return false;
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
