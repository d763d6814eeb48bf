package io.stunet.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Gauge;
import io.stunet.infer.service.EngineMetrics;
import io.stunet.kafka.StageConsumer;
import io.stunet.kafka.StageOptions;
import io.stunet.metrics.HealthChecks;
import io.stunet.metrics.MetricsRegistry;
import io.stunet.metrics.ServiceRoutes;
import io.stunet.records.StunetRecord;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.stunet.k8s.Manifests.at;
import static io.stunet.k8s.Manifests.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The monitoring side agrees with what a service really exposes. A service's real HTTP
 * routes ({@link ServiceRoutes}) with the real stage meters ({@link StageConsumer} in a
 * {@link MetricsRegistry}) are started on loopback; the probe paths and the ServiceMonitor
 * path of the manifests must be served there, and every metric the Grafana dashboard and the
 * deletion-cost sidecar query must appear in its scrape (or be an engine meter still listed
 * in {@link PendingContract}).
 */
class MonitoringConsistencyTest {
    private static final Pattern METRIC = Pattern.compile("\\b((?:stunet|jvm|process|system)_[a-z0-9_]+)\\b");

    private static Vertx vertx;
    private static MetricsRegistry metrics;
    private static HttpServer server;
    /** Held so the gauges (weakly referenced by Micrometer) keep reporting values. */
    private static final List<StageConsumer<?>> CONSUMERS = new ArrayList<>();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void startService() throws Exception {
        vertx = Vertx.vertx();
        metrics = MetricsRegistry.create("infer");
        for (Map.Entry<String, String> stage : PendingContract.STAGE_INPUT_TOPICS.entrySet()) {
            StageOptions options = new StageOptions().setStage(stage.getKey()).setTopic(stage.getValue())
                    .setBootstrap("127.0.0.1:9").setRegistry(metrics.registry());
            // Constructing the consumer registers its meters; it is never started.
            CONSUMERS.add(new StageConsumer<>(vertx, StunetRecord.class, options, input -> null, null));
        }
        // The infer service's engine meters appear with the first forward pass on a device.
        new EngineMetrics(metrics.registry()).onBatch("cpu", 1, 1, 1_000_000L, 1_000_000L);
        EngineMetrics.registerDeviceBusy(metrics.registry(), List.of("cpu"), slot -> 0.25);
        server = ServiceRoutes.listen(vertx, ServiceRoutes.create(vertx, metrics, new HealthChecks()), "127.0.0.1", 0)
                .await(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopService() throws Exception {
        server.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
        metrics.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Set<String> exposedNames() throws Exception {
        Set<String> names = new TreeSet<>();
        for (String line : get(ServiceRoutes.METRICS_PATH).body().split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    @Test
    void probeAndScrapePathsAreServed() throws Exception {
        for (String overlay : Manifests.OVERLAYS) {
            List<Map<String, Object>> docs = Manifests.overlay(overlay);
            for (Map<String, Object> d : Manifests.stages(docs).values()) {
                Map<String, Object> c = Manifests.serviceContainer(d);
                for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
                    String path = at(c, probe + ".httpGet.path");
                    assertEquals(200, get(path).statusCode(), overlay + ": " + Manifests.name(d) + " " + probe + " " + path);
                }
            }
            String scrape = at(Manifests.list(Manifests.get(docs, "ServiceMonitor", "stunet"), "spec.endpoints").get(0), "path");
            HttpResponse<String> r = get(scrape);
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("stunet_stage_in_flight{"), "stage meters are scraped");
        }
        assertEquals(404, get("/health/nothing").statusCode(), "an unknown path must not pass as a probe");
    }

    @Test
    void dashboardQueriesOnlyExposedMetrics() throws Exception {
        Set<String> exposed = exposedNames();
        JsonNode dashboard = new ObjectMapper().readTree(Manifests.k8s().resolve("base/grafana/stunet-dashboard.json").toFile());
        List<String> exprs = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
        dashboard.findValues("query").forEach(q -> {
            if (q.isTextual()) {
                exprs.add(q.asText());
            }
        });
        assertFalse(exprs.isEmpty());
        Set<String> used = new TreeSet<>();
        for (String expr : exprs) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                used.add(m.group(1));
            }
        }
        Set<String> unknown = new TreeSet<>(used);
        unknown.removeAll(exposed);
        assertEquals(Set.of(), unknown, "dashboard metrics no service exposes; exposed: " + exposed);
        // The panels the operators rely on are there.
        for (String needed : List.of("stunet_stage_records_total", "stunet_stage_latency_seconds_bucket",
                "stunet_stage_consumer_lag", "stunet_infer_patches_total", "stunet_infer_batch_fill_ratio_sum",
                "stunet_infer_device_busy_seconds_total", "stunet_stage_rebalances_total")) {
            assertTrue(used.contains(needed), "dashboard lacks " + needed);
        }
        String body = get(ServiceRoutes.METRICS_PATH).body();
        assertTrue(body.contains("outcome=\"dead_letter\""), "the failures panel filters on an outcome the code emits");
        assertTrue(body.contains("outcome=\"ok\""), "the throughput panel filters on an outcome the code emits");
    }

    @Test
    void cumulativeMetersAreCountersAndLevelsAreGauges() throws Exception {
        String body = get(ServiceRoutes.METRICS_PATH).body();
        for (String counter : List.of("stunet_stage_rebalances_total", "stunet_infer_device_busy_seconds_total",
                "stunet_stage_records_total", "stunet_stage_retries_total", "stunet_infer_patches_total")) {
            assertTrue(body.contains("# TYPE " + counter + " counter"), counter + " is not a counter");
        }
        for (String gauge : List.of("stunet_stage_in_flight", "stunet_stage_paused_partitions", "stunet_stage_consumer_lag")) {
            assertTrue(body.contains("# TYPE " + gauge + " gauge"), gauge + " is not a gauge");
        }
        assertTrue(body.contains("stunet_infer_device_busy_seconds_total{device=\"cpu#0\",service=\"infer\"} 0.25"),
                body.lines().filter(l -> l.contains("busy")).toList().toString());
    }

    @Test
    void deletionCostSidecarReadsTheInFlightGauge() throws Exception {
        Map<String, Object> infer = Manifests.stages(Manifests.overlay("gpu")).get("infer");
        Map<String, Object> sidecar = Manifests.containers(infer).stream().filter(c -> "deletion-cost".equals(c.get("name")))
                .findFirst().orElseThrow();
        String script = String.valueOf(sidecar.get("args"));
        Matcher m = METRIC.matcher(script);
        assertTrue(m.find(), script);
        String metric = m.group(1);
        assertTrue(exposedNames().contains(metric), metric + " is not exposed");
        // The script's awk pattern ^name[{ ] must match the exposition line of the gauge.
        Pattern line = Pattern.compile("^" + metric + "[{ ].*\\s([0-9.eE+-]+)$", Pattern.MULTILINE);
        String body = get(ServiceRoutes.METRICS_PATH).body();
        assertTrue(line.matcher(body).find(), body.lines().filter(l -> l.contains(metric)).toList().toString());
        // It polls the service's own HTTP port.
        int port = ((Number) Manifests.list(Manifests.serviceContainer(infer), "ports").get(0).get("containerPort")).intValue();
        assertTrue(script.contains("/dev/tcp/127.0.0.1/" + port), script);
        assertNotEquals(null, map(infer, "spec.template.spec").get("serviceAccountName"));
    }

    @Test
    void deletionCostSidecarComputesTheInFlightCountFromARealScrape() throws Exception {
        // Two more "stages" of the same gauge with records in flight: the script must sum them.
        AtomicInteger busy = new AtomicInteger(2);
        AtomicInteger alsoBusy = new AtomicInteger(1);
        Gauge.builder("stunet_stage_in_flight", busy, AtomicInteger::get).tag("stage", "probe-a").register(metrics.registry());
        Gauge.builder("stunet_stage_in_flight", alsoBusy, AtomicInteger::get).tag("stage", "probe-b").register(metrics.registry());
        Map<String, Object> infer = Manifests.stages(Manifests.overlay("gpu")).get("infer");
        Map<String, Object> sidecar = Manifests.containers(infer).stream().filter(c -> "deletion-cost".equals(c.get("name")))
                .findFirst().orElseThrow();
        String script = String.valueOf(((List<?>) sidecar.get("args")).get(0));
        int start = script.indexOf("n=$(");
        int end = script.indexOf('\n', start);
        while (!balanced(script.substring(start, end))) {
            end = script.indexOf('\n', end + 1);
        }
        String fetch = script.substring(start, end);
        int port = ((Number) Manifests.list(Manifests.serviceContainer(infer), "ports").get(0).get("containerPort")).intValue();
        fetch = fetch.replace("/dev/tcp/127.0.0.1/" + port, "/dev/tcp/127.0.0.1/" + server.actualPort());
        Process p = new ProcessBuilder("bash", "-c", fetch + "\necho \"$n\"").redirectErrorStream(true).start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the sidecar's fetch did not finish: the server kept the connection open");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals("3", out, "deletion cost computed from " + fetch);
        busy.set(0);
        alsoBusy.set(0);
    }

    private static boolean balanced(String s) {
        int depth = 0;
        for (char ch : s.toCharArray()) {
            depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
        }
        return depth == 0;
    }
}
