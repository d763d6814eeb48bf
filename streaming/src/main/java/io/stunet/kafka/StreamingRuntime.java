package io.stunet.kafka;

import io.stunet.config.StunetConfig;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.metrics.HealthChecks;
import io.stunet.metrics.MetricsRegistry;
import io.stunet.records.StunetRecord;
import io.stunet.store.ClaimCheckStore;
import io.stunet.store.ClaimCheckStores;
import io.stunet.topics.TopicCreator;
import io.stunet.topics.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Everything a stage service needs besides its numerics, built from the configuration:
 * the broker (external, or the embedded one when {@code kafka.bootstrap} is empty), the
 * topics, the durable publisher, the claim-check store, the metrics registry and the
 * readiness checks. A stage is then one call to {@link #stage}, which returns a
 * {@link StageConsumer} to start from the stage verticle. One runtime serves every stage in
 * a JVM ({@code run}), or one per process ({@code serve --roles ...}).
 */
public final class StreamingRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingRuntime.class);
    private final Vertx vertx;
    private final StunetConfig config;
    private final LocalBroker broker;
    private final String bootstrap;
    private final Map<String, Object> clientProperties;
    private final RecordPublisher publisher;
    private final ClaimCheckStore store;
    private final MetricsRegistry metrics;
    private final HealthChecks health = new HealthChecks();
    private final List<StageConsumer<?>> stages = new ArrayList<>();

    private StreamingRuntime(Vertx vertx, StunetConfig config, LocalBroker broker, String bootstrap,
                             Map<String, Object> clientProperties, ClaimCheckStore store, MetricsRegistry metrics) {
        this.vertx = vertx;
        this.config = config;
        this.broker = broker;
        this.bootstrap = bootstrap;
        this.clientProperties = clientProperties;
        this.store = store;
        this.metrics = metrics;
        this.publisher = new RecordPublisher(vertx, bootstrap, clientProperties);
    }

    /**
     * Connects to {@code kafka.bootstrap}, or when it is empty starts a local broker with
     * {@code localBroker}; then, unless {@code topics.create} is off, creates missing topics
     * (waiting until each partition has a leader, up to {@code kafka.startup.timeout.ms}) and
     * opens the store. Every Kafka client
     * against an external cluster gets the configured {@code kafka.client.*} properties (TLS,
     * SASL); the embedded broker is plaintext on loopback and gets none. Blocking (seconds):
     * call it before deploying verticles, not on an event loop.
     *
     * @param localBroker starts the in-process broker; {@code null} when this process embeds
     *                    none, and then {@code kafka.bootstrap} must be set
     */
    public static StreamingRuntime start(Vertx vertx, StunetConfig config, String service, LocalBroker.Launcher localBroker) {
        String bootstrap = config.getOptional(StunetConfig.KAFKA_BOOTSTRAP);
        LocalBroker broker = null;
        ClaimCheckStore store = null;
        try {
            if (bootstrap == null) {
                if (localBroker == null) {
                    throw new StunetException(ErrorCode.INVALID_CONFIG,
                            "kafka.bootstrap is not set and this process embeds no broker");
                }
                broker = localBroker.start(config.getPath(StunetConfig.KAFKA_EMBEDDED_DIR),
                        config.getInt(StunetConfig.KAFKA_EMBEDDED_PORT));
                bootstrap = broker.bootstrapServers();
            }
            Map<String, Object> clientProperties = broker != null ? Map.of() : config.kafkaClientProperties();
            if (!clientProperties.isEmpty()) {
                // Names only: values may be credentials.
                LOG.info("event=kafka_client_properties names={}", clientProperties.keySet());
            }
            if (config.getBoolean(StunetConfig.TOPICS_CREATE)) {
                TopicCreator.ensure(bootstrap, clientProperties, Topics.all(config.getInt(StunetConfig.TOPICS_CASE_PARTITIONS),
                        config.getInt(StunetConfig.TOPICS_TILE_PARTITIONS), (short) config.getInt(StunetConfig.TOPICS_REPLICATION)),
                        config.getMillis(StunetConfig.KAFKA_STARTUP_TIMEOUT_MS));
            }
            store = ClaimCheckStores.open(config);
            return new StreamingRuntime(vertx, config, broker, bootstrap, clientProperties, store, MetricsRegistry.create(service));
        } catch (RuntimeException e) {
            if (store != null) {
                store.close();
            }
            if (broker != null) {
                broker.close();
            }
            throw e;
        }
    }

    /**
     * A stage consumer on {@code topic} with the configured bounds, its meters in this
     * runtime's registry and a readiness check {@code stage.<name>}. Not started: call
     * {@link StageConsumer#start()} from the stage verticle so handlers run on its context.
     *
     * @param capacity whether the stage can take more work beyond the in-flight bound
     *                 (e.g. the inference engine's intake); {@code null} for "always"
     */
    public <T extends StunetRecord> StageConsumer<T> stage(String name, String topic, Class<T> type,
                                                          StageHandler<T> handler, BooleanSupplier capacity) {
        StageOptions options = StageOptions.fromConfig(config, name, topic, bootstrap).setRegistry(metrics.registry())
                .setClientProperties(clientProperties);
        if (capacity != null) {
            options.setCapacity(capacity);
        }
        StageConsumer<T> consumer = new StageConsumer<>(vertx, type, options, handler, publisher);
        synchronized (stages) {
            stages.add(consumer);
        }
        health.register("stage." + name, consumer::isRunning);
        return consumer;
    }

    /** Gracefully stops every stage created here (stop fetching, finish or release, commit). */
    public Future<Void> stopStages() {
        List<Future<Void>> stops = new ArrayList<>();
        synchronized (stages) {
            for (StageConsumer<?> s : stages) {
                stops.add(s.stop());
            }
        }
        return Future.join(stops).mapEmpty();
    }

    public Vertx vertx() {
        return vertx;
    }

    public StunetConfig config() {
        return config;
    }

    /** Bootstrap servers of the broker in use (the embedded one's loopback address when embedded). */
    public String bootstrap() {
        return bootstrap;
    }

    /** Kafka client properties every client of this runtime's broker needs (empty for the embedded one). */
    public Map<String, Object> clientProperties() {
        return clientProperties;
    }

    /** A view (not started) of the case status topic on this runtime's broker, with its client properties. */
    public CaseStatusView statusView() {
        return new CaseStatusView(bootstrap, clientProperties);
    }

    public boolean embedded() {
        return broker != null;
    }

    public RecordPublisher publisher() {
        return publisher;
    }

    public ClaimCheckStore store() {
        return store;
    }

    public MetricsRegistry metrics() {
        return metrics;
    }

    public HealthChecks health() {
        return health;
    }

    /** Closes publisher, store, metrics and the embedded broker; stop the stages first. */
    @Override
    public void close() {
        publisher.close();
        store.close();
        metrics.close();
        if (broker != null) {
            broker.close();
        }
    }
}
