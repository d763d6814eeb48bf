package io.stunet.metrics;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServiceRoutesTest {
    private Vertx vertx;
    private MetricsRegistry metrics;
    private HttpServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicBoolean consumerRunning = new AtomicBoolean(false);

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        metrics = MetricsRegistry.create("test");
        HealthChecks health = new HealthChecks().register("consumer", consumerRunning::get)
                .register("broker", () -> true);
        server = ServiceRoutes.listen(vertx, ServiceRoutes.create(vertx, metrics, health), "127.0.0.1", 0)
                .await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        server.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
        metrics.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsExposeJvmAndStageMetersInPrometheusFormat() throws Exception {
        Counter.builder("stunet_stage_records").tag("stage", "infer").tag("outcome", "ok")
                .register(metrics.registry()).increment(3);
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertTrue(r.body().contains("jvm_memory_used_bytes{"), "JVM binders are registered");
        assertTrue(r.body().contains("jvm_gc_"), "GC metrics are registered");
        String line = r.body().lines().filter(l -> l.startsWith("stunet_stage_records_total{")).findFirst().orElseThrow();
        assertTrue(line.contains("service=\"test\"") && line.contains("stage=\"infer\"") && line.endsWith(" 3.0"), line);
    }

    @Test
    void readinessFollowsTheRegisteredChecks() throws Exception {
        assertEquals(200, get("/health/live").statusCode());
        HttpResponse<String> notReady = get("/health/ready");
        assertEquals(503, notReady.statusCode());
        JsonObject body = new JsonObject(notReady.body());
        assertEquals("DOWN", body.getString("status"));
        assertEquals(false, body.getJsonObject("checks").getBoolean("consumer"));
        assertEquals(true, body.getJsonObject("checks").getBoolean("broker"));
        consumerRunning.set(true);
        HttpResponse<String> ready = get("/health/ready");
        assertEquals(200, ready.statusCode());
        assertEquals("UP", new JsonObject(ready.body()).getString("status"));
    }

    @Test
    void aCheckThatThrowsCountsAsNotReady() {
        HealthChecks checks = new HealthChecks().register("boom", () -> {
            throw new IllegalStateException("x");
        });
        assertEquals(false, checks.ready());
        assertEquals(false, checks.evaluate().get("boom"));
    }
}
