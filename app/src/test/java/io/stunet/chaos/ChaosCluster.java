package io.stunet.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pipeline deployed the way users run it against a Kafka cluster: the broker in its own JVM
 * ({@code stunet broker}) and every stage role in its own JVM ({@code serve --roles R
 * --bootstrap ...}), all on 127.0.0.1, sharing a configuration file and a local blob store
 * under one directory. Children are started, killed with SIGKILL and restarted individually;
 * {@link #close()} kills whatever still runs. Consumer sessions are short (6 s, the broker's
 * minimum) so that a killed member's partitions move quickly.
 */
final class ChaosCluster implements AutoCloseable {
    static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    final Path dir;
    final Path blobs;
    final Path kafkaDir;
    final Path logs;
    final Path configFile;
    final Path model;
    private final List<ChildJvm> children = new ArrayList<>();
    private final Map<ChildJvm, Integer> httpPorts = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String bootstrap;
    private int brokerStarts;
    private Client client;

    ChaosCluster(Path dir, Path model, Map<String, String> extraConfig) {
        this.dir = dir;
        this.model = model;
        this.blobs = dir.resolve("blobs");
        this.kafkaDir = dir.resolve("kafka");
        this.logs = dir.resolve("logs");
        this.configFile = dir.resolve("stunet.properties");
        Map<String, String> cfg = new LinkedHashMap<>(baseConfig(blobs, model));
        cfg.put("ingest.upload.dir", dir.resolve("uploads").toString());
        cfg.putAll(extraConfig);
        StringBuilder sb = new StringBuilder();
        cfg.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        try {
            Files.createDirectories(dir);
            Files.writeString(configFile, sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What every stage process of these tests runs with: small slabs, no TTA, quick failure detection. */
    static Map<String, String> baseConfig(Path blobs, Path model) {
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("store.local.root", blobs.toString());
        cfg.put("model.dir", model.toString());
        cfg.put("infer.tta", "false");
        cfg.put("infer.devices", "cpu");
        cfg.put("infer.intake", "2");
        cfg.put("pipeline.slabs", "2");
        cfg.put("kafka.session.timeout.ms", "6000");
        cfg.put("kafka.heartbeat.interval.ms", "1000");
        cfg.put("http.host", "127.0.0.1");
        cfg.put("http.port", "0");
        cfg.put("stage.retry.backoff.ms", "100");
        cfg.put("stage.shutdown.grace.ms", "2000");
        return cfg;
    }

    /** Starts (or restarts, on the same data directory and port) the broker JVM; returns once it accepts clients. */
    ChildJvm startBroker() {
        ChildJvm b = launch("broker-" + (++brokerStarts), 512, Map.of(),
                List.of("broker", "--dir", kafkaDir.toString()));
        String address = b.await("bootstrap (127\\.0\\.0\\.1:\\d+)", START_TIMEOUT);
        if (bootstrap != null && !bootstrap.equals(address)) {
            throw new AssertionError("restarted broker moved from " + bootstrap + " to " + address);
        }
        bootstrap = address;
        return b;
    }

    /** Starts {@code serve --roles ROLE} in its own JVM; returns once its HTTP server listens. */
    ChildJvm startStage(String role, String name, Map<String, String> env) {
        return awaitStage(launchStage(role, name, env));
    }

    /** Starts {@code serve --roles ROLE} in its own JVM without waiting (several start in parallel). */
    ChildJvm launchStage(String role, String name, Map<String, String> env) {
        return launch(name, role.equals("infer") ? 768 : 512, env,
                List.of("serve", "--roles", role, "--bootstrap", bootstrap, "--config", configFile.toString()));
    }

    /** Waits until a stage process listens on HTTP (its consumers are started by then). */
    ChildJvm awaitStage(ChildJvm c) {
        httpPorts.put(c, Integer.parseInt(c.await("stunet serve: .* http port (\\d+)", START_TIMEOUT)));
        return c;
    }

    ChildJvm launch(String name, int heapMb, Map<String, String> env, List<String> args) {
        ChildJvm c = ChildJvm.start(name, logs, dir, heapMb, env, args);
        synchronized (children) {
            children.add(c);
        }
        return c;
    }

    /** Waits until the stage consumer of {@code c} holds partitions (its group has settled with it in). */
    static void awaitAssigned(ChildJvm c, String stage) {
        c.await("event=partitions_assigned stage=" + stage + " partitions=[1-9]", START_TIMEOUT);
    }

    /** The {@code stunet_stage_in_flight} gauge of a stage process; -1 when it does not answer. */
    int inFlight(ChildJvm c, String stage) {
        Integer port = httpPorts.get(c);
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = Pattern.compile("stunet_stage_in_flight\\{[^}]*stage=\"" + stage + "\"[^}]*} ([0-9.]+)").matcher(r.body());
            return m.find() ? (int) Double.parseDouble(m.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Uploads a NIfTI file to the ingest API of {@code c} ({@code POST /v1/cases}, no TTA as the
     * stages run, the file's name for the outputs); the answer may never come when ingest is held.
     */
    CompletableFuture<HttpResponse<String>> upload(ChildJvm c, Path file) {
        Integer port = httpPorts.get(c);
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/cases?tta=false&name="
                            + file.getFileName()))
                    .timeout(Duration.ofSeconds(120))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofFile(file)).build();
            return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The child started under {@code name}. */
    ChildJvm findChild(String name) {
        synchronized (children) {
            return children.stream().filter(c -> c.name.equals(name)).findFirst().orElseThrow();
        }
    }

    String bootstrap() {
        return bootstrap;
    }

    /** The test's own client (submission, status, topics), connected to the broker JVM. */
    synchronized Client client() {
        if (client == null) {
            client = new Client(bootstrap, blobs, model, dir.resolve("client-uploads"));
        }
        return client;
    }

    /** The tails of every child's log, for a failure report. */
    String tails() {
        StringBuilder sb = new StringBuilder();
        synchronized (children) {
            for (ChildJvm c : children) {
                sb.append(c.tail());
            }
        }
        return sb.toString();
    }

    /** Closes the client and SIGKILLs every child still running. */
    @Override
    public void close() {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            synchronized (children) {
                for (ChildJvm c : children) {
                    c.close();
                }
            }
        }
    }
}
