package io.stunet.ingest;

import io.stunet.metrics.ServiceRoutes;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;

/**
 * Ingest's lifecycle as a verticle, wired by {@link IngestService} with everything it runs:
 * on deploy, its own HTTP server for a ready router (API, {@code /openapi.yaml},
 * {@code /metrics}, {@code /health/*}) on the given host and port, unless the API was
 * mounted on a router another server of the process serves, and the inbox watcher when
 * there is one; on undeploy (or {@code vertx.close()} on SIGTERM) the watcher stops, the own
 * server closes and {@code onStop} runs (the service closes its status view). It knows
 * nothing of the service itself.
 */
public final class IngestVerticle extends VerticleBase {
    private final Router router;
    private final String host;
    private final int port;
    private final InboxWatcher inbox;
    private final Runnable onStop;
    private HttpServer server;

    private IngestVerticle(Router router, String host, int port, InboxWatcher inbox, Runnable onStop) {
        this.router = router;
        this.host = host;
        this.port = port;
        this.inbox = inbox;
        this.onStop = onStop;
    }

    /** Serves {@code router} on its own server at {@code host}:{@code port}; {@code inbox} may be {@code null}. */
    static IngestVerticle serving(Router router, String host, int port, InboxWatcher inbox, Runnable onStop) {
        return new IngestVerticle(router, host, port, inbox, onStop);
    }

    /** The API is already mounted on a router served elsewhere: only the inbox ({@code null}: none) and the stop hook. */
    static IngestVerticle mounted(InboxWatcher inbox, Runnable onStop) {
        return new IngestVerticle(null, null, -1, inbox, onStop);
    }

    @Override
    public Future<?> start() {
        Future<HttpServer> listening = router == null ? Future.succeededFuture()
                : ServiceRoutes.listen(vertx, router, host, port);
        return listening.compose(s -> {
            server = s;
            return inbox == null ? Future.succeededFuture() : inbox.start();
        });
    }

    @Override
    public Future<?> stop() {
        if (inbox != null) {
            inbox.stop();
        }
        Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
        return closed.onComplete(ar -> onStop.run());
    }

    /** The port the server listens on (useful with {@code http.port = 0}); -1 before deployment or when mounted. */
    public int port() {
        return server == null ? -1 : server.actualPort();
    }
}
