package io.stunet.ingest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.http.HttpServerRequest;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Streams a request body into a spool file with backpressure and a size bound: the one way
 * ingest's upload and STOW-RS routes receive bodies. Past {@code maxBytes}, or when the
 * connection breaks, the file is closed and deleted and the future fails; the caller answers
 * the client (a body over the bound gets {@code tooLarge} first).
 */
public final class BodySpool {
    private BodySpool() {
    }

    /** Thrown into the future when the body exceeded the bound (the response was already sent). */
    public static final class TooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooLarge() {
            super("request body exceeds the limit", null, false, false);
        }
    }

    /**
     * Receives the body of {@code req} (paused by the caller until now) into the open
     * {@code file} at {@code path}; each chunk is also given to {@code onChunk} (e.g. a digest).
     * The future completes with the number of bytes once the file is closed.
     */
    public static Future<Long> receive(Vertx vertx, HttpServerRequest req, AsyncFile file, Path path, long maxBytes,
                                       Consumer<Buffer> onChunk, Runnable tooLarge) {
        Promise<Long> done = Promise.promise();
        long[] received = {0};
        boolean[] aborted = {false};
        Runnable discard = () -> file.close().onComplete(c -> vertx.fileSystem().delete(path.toString()));
        req.handler(buf -> {
            if (aborted[0]) {
                return;
            }
            received[0] += buf.length();
            if (received[0] > maxBytes) {
                aborted[0] = true;
                discard.run();
                tooLarge.run();
                done.tryFail(new TooLarge());
                return;
            }
            onChunk.accept(buf);
            file.write(buf);
            if (file.writeQueueFull()) {
                req.pause();
                file.drainHandler(v -> req.resume());
            }
        });
        req.exceptionHandler(err -> {
            if (!aborted[0]) {
                aborted[0] = true;
                discard.run();
                done.tryFail(err);
            }
        });
        req.endHandler(v -> {
            if (!aborted[0]) {
                file.close().onComplete(c -> {
                    if (c.succeeded()) {
                        done.tryComplete(received[0]);
                    } else {
                        done.tryFail(c.cause());
                    }
                });
            }
        });
        req.resume();
        return done.future();
    }
}
