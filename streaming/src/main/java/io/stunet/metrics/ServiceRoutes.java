package io.stunet.metrics;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

import java.util.Map;

/**
 * The operational endpoints every service exposes: {@code GET /metrics} (Prometheus text),
 * {@code GET /health/live} (200 while the event loop answers) and {@code GET /health/ready}
 * (200 when every {@link HealthChecks} check passes, else 503, with the checks as JSON).
 * Services add their own routes to the same router (ingest's API) before listening.
 */
public final class ServiceRoutes {
    public static final String METRICS_PATH = "/metrics";
    public static final String LIVE_PATH = "/health/live";
    public static final String READY_PATH = "/health/ready";

    private ServiceRoutes() {
    }

    /** A router with the operational endpoints mounted. */
    public static Router create(Vertx vertx, MetricsRegistry metrics, HealthChecks health) {
        Router router = Router.router(vertx);
        mount(vertx, router, metrics, health);
        return router;
    }

    /** Mounts the operational endpoints on an existing router. */
    public static void mount(Vertx vertx, Router router, MetricsRegistry metrics, HealthChecks health) {
        router.get(METRICS_PATH).handler(ctx ->
                // Scraping walks every meter; keep it off the event loop.
                vertx.executeBlocking(metrics::scrape, false).onComplete(ar -> {
                    if (ar.succeeded()) {
                        ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
                    } else {
                        ctx.fail(ar.cause());
                    }
                }));
        router.get(LIVE_PATH).handler(ctx -> ctx.response()
                .putHeader("Content-Type", "application/json").end(new JsonObject().put("status", "UP").encode()));
        router.get(READY_PATH).handler(ctx -> {
            Map<String, Boolean> results = health.evaluate();
            boolean ready = !results.containsValue(false);
            JsonObject checks = new JsonObject();
            results.forEach(checks::put);
            ctx.response().setStatusCode(ready ? 200 : 503).putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("status", ready ? "UP" : "DOWN").put("checks", checks).encode());
        });
    }

    /** Starts an HTTP server for the router; {@code port} 0 picks a free one ({@link HttpServer#actualPort()}). */
    public static Future<HttpServer> listen(Vertx vertx, Router router, String host, int port) {
        return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
                .requestHandler(router).listen();
    }
}
