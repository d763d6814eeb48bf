package io.stunet.cli;

import io.stunet.streaming.EmbeddedBroker;
import io.stunet.config.StunetConfig;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.ingest.IngestService;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.model.ModelCard;
import io.stunet.metrics.ServiceRoutes;
import io.stunet.streaming.StageDeployment;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stunet serve}: long-running stage services against a Kafka cluster, or the embedded
 * broker when no bootstrap is configured. Every process serves {@code /metrics},
 * {@code /health/live} and {@code /health/ready} on {@code http.host:http.port}. On SIGTERM
 * (or Ctrl-C) a shutdown hook stops fetching, lets in-flight records finish within
 * {@code stage.shutdown.grace.ms} (the rest are released uncommitted for the next owner),
 * commits, and closes the engine, store, producer and broker.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run pipeline stages as long-running services (Ctrl-C / SIGTERM stops them gracefully).")
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--roles", split = ",", defaultValue = "ingest,preprocess,infer,postprocess",
            description = "Stages to run in this process (default: ${DEFAULT-VALUE}).")
    List<String> roles;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers (default: embedded broker).")
    String bootstrap;

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (YAML or properties).")
    Path config;

    @Option(names = "--model", paramLabel = "DIR", description = "Model directory (overrides model.dir).")
    Path model;

    @Override
    public Integer call() throws InterruptedException {
        List<String> stageRoles = new ArrayList<>(roles);
        boolean withIngest = stageRoles.removeIf(r -> r.trim().equalsIgnoreCase("ingest"));
        Set<StageDeployment.Role> parsed = StageDeployment.Role.parseAll(stageRoles);
        Map<String, String> overrides = new LinkedHashMap<>();
        if (bootstrap != null) {
            overrides.put(StunetConfig.KAFKA_BOOTSTRAP.name(), bootstrap);
        }
        if (model != null) {
            overrides.put(StunetConfig.MODEL_DIR.name(), model.toString());
        }
        StunetConfig cfg = StunetConfig.load(config, System.getenv(), overrides);
        Vertx vertx = Vertx.vertx();
        StreamingRuntime rt = StreamingRuntime.start(vertx, cfg, "serve", EmbeddedBroker::start);
        StageDeployment stages;
        try {
            stages = StageDeployment.deploy(rt, parsed);
        } catch (RuntimeException e) {
            rt.close();
            vertx.close();
            throw e;
        }
        Router router = ServiceRoutes.create(vertx, rt.metrics(), rt.health());
        IngestService ingest = withIngest ? startIngest(rt, cfg, router) : null;
        HttpServer http = awaitServer(ServiceRoutes.listen(vertx, router, cfg.getString(StunetConfig.HTTP_HOST),
                cfg.getInt(StunetConfig.HTTP_PORT)));
        System.err.printf("stunet serve: roles %s%s, broker %s, http port %d%n", parsed, withIngest ? " + ingest" : "",
                rt.bootstrap(), http.actualPort());

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stages.close();
                if (ingest != null) {
                    ingest.close();
                }
                http.close();
                rt.close();
                vertx.close().toCompletionStage().toCompletableFuture().join();
            } finally {
                stopped.countDown();
            }
        }, "stunet-shutdown"));
        stopped.await();
        return 0;
    }

    /** Ingest's API and inbox watcher on the shared router; cases are stamped with the model's sha256. */
    private static IngestService startIngest(StreamingRuntime rt, StunetConfig cfg, Router router) {
        Path dir = cfg.getOptionalPath(StunetConfig.MODEL_DIR);
        if (dir == null) {
            throw new StunetException(ErrorCode.INVALID_CONFIG, "model.dir is required by the ingest role (case ids include the model)");
        }
        ModelCard card = ModelCard.load(dir);
        String sha = card.modelSha256() != null ? card.modelSha256() : ModelCard.sha256(card.modelFile());
        IngestService ingest = new IngestService(rt, sha);
        try {
            ingest.deploy(router).toCompletionStage().toCompletableFuture().join();
        } catch (RuntimeException e) {
            ingest.close();
            throw new StunetException(ErrorCode.INTERNAL, "ingest did not start", e);
        }
        return ingest;
    }

    private static HttpServer awaitServer(io.vertx.core.Future<HttpServer> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().join();
        } catch (RuntimeException e) {
            throw new StunetException(ErrorCode.INVALID_CONFIG, "cannot listen on the configured http.host/http.port", e);
        }
    }
}
