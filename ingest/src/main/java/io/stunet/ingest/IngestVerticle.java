package io.stunet.ingest;

import io.stunet.config.StunetConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.stunet.metrics.ServiceRoutes;
import io.vertx.ext.web.Router;

import java.nio.file.Path;

/**
 * Ingest as a verticle: on deploy, the HTTP server (API, {@code /openapi.yaml},
 * {@code /metrics}, {@code /health/*}) on {@code http.host}:{@code http.port} — or, given a
 * router that another server of the process already serves, the API mounted on that router
 * — and the inbox watcher when {@code ingest.inbox.dir} is set; on undeploy (or
 * {@code vertx.close()} on SIGTERM) the watcher stops, the own server closes and the
 * service's status view is closed.
 */
public final class IngestVerticle extends VerticleBase {
    private final IngestService service;
    private final Router shared;
    private HttpServer server;
    private InboxWatcher inbox;

    /** @param shared a router served elsewhere to mount the API on, or {@code null} for an own server */
    public IngestVerticle(IngestService service, Router shared) {
        this.service = service;
        this.shared = shared;
    }

    @Override
    public Future<?> start() {
        StunetConfig config = service.config();
        Future<HttpServer> listening;
        if (shared != null) {
            service.mountApi(shared);
            listening = Future.succeededFuture();
        } else {
            listening = ServiceRoutes.listen(vertx, service.router(), config.getString(StunetConfig.HTTP_HOST),
                    config.getInt(StunetConfig.HTTP_PORT));
        }
        return listening.compose(s -> {
                    server = s;
                    String inboxDir = config.getOptional(StunetConfig.INGEST_INBOX_DIR);
                    if (inboxDir == null) {
                        return Future.succeededFuture();
                    }
                    inbox = new InboxWatcher(vertx, Path.of(inboxDir), config.getLong(StunetConfig.INGEST_INBOX_STABLE_MS), service);
                    return inbox.start();
                });
    }

    @Override
    public Future<?> stop() {
        if (inbox != null) {
            inbox.stop();
        }
        Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
        return closed.onComplete(ar -> service.close());
    }

    /** The port the server listens on (useful with {@code http.port = 0}); -1 before deployment. */
    public int port() {
        return server == null ? -1 : server.actualPort();
    }
}
