package io.stunet.kafka;

import io.micrometer.core.instrument.MeterRegistry;
import io.stunet.config.StunetConfig;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Settings of one {@link StageConsumer}, with fluent setters in the Vert.x options style.
 * Required: {@link #setStage}, {@link #setTopic}, {@link #setBootstrap}; the consumer group
 * defaults to {@code stunet-<stage>} so every instance of a stage shares the work.
 */
public final class StageOptions {
    private String stage;
    private String topic;
    private String bootstrap;
    private String groupId;
    private int maxInFlight = 8;
    private int maxRetries = 3;
    private Duration retryBackoff = Duration.ofMillis(500);
    private Duration pollTimeout = Duration.ofMillis(50);
    private Duration shutdownGrace = Duration.ofSeconds(30);
    private Duration commitInterval = Duration.ofMillis(100);
    private BooleanSupplier capacity = () -> true;
    private MeterRegistry registry;
    private final Map<String, Object> consumerProperties = new HashMap<>();
    private final Map<String, Object> clientProperties = new HashMap<>();

    /** Short stage name for metrics, logs, dead letters and status records ({@code infer}, ...). */
    public StageOptions setStage(String stage) {
        this.stage = stage;
        return this;
    }

    public StageOptions setTopic(String topic) {
        this.topic = topic;
        return this;
    }

    public StageOptions setBootstrap(String bootstrap) {
        this.bootstrap = bootstrap;
        return this;
    }

    public StageOptions setGroupId(String groupId) {
        this.groupId = groupId;
        return this;
    }

    /** Most records handled at once by this instance; the partitions pause when it is reached. */
    public StageOptions setMaxInFlight(int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1");
        }
        this.maxInFlight = maxInFlight;
        return this;
    }

    /** Retries of a record that failed with a retriable code before it is dead-lettered. */
    public StageOptions setMaxRetries(int maxRetries) {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must be >= 0");
        }
        this.maxRetries = maxRetries;
        return this;
    }

    /** First retry delay; it doubles with every further attempt. */
    public StageOptions setRetryBackoff(Duration retryBackoff) {
        this.retryBackoff = Objects.requireNonNull(retryBackoff);
        return this;
    }

    /** How long one poll waits for records; also bounds how late a finished record is committed. */
    public StageOptions setPollTimeout(Duration pollTimeout) {
        this.pollTimeout = Objects.requireNonNull(pollTimeout);
        return this;
    }

    /**
     * How often finished offsets are committed (asynchronously). Longer means fewer commit
     * round trips and more redelivered records after a crash; never a lost one.
     */
    public StageOptions setCommitInterval(Duration commitInterval) {
        this.commitInterval = Objects.requireNonNull(commitInterval);
        return this;
    }

    /** How long a graceful stop waits for in-flight records before releasing them. */
    public StageOptions setShutdownGrace(Duration shutdownGrace) {
        this.shutdownGrace = Objects.requireNonNull(shutdownGrace);
        return this;
    }

    /**
     * Whether the stage can take another record beyond the in-flight bound, e.g. whether the
     * inference engine's intake has room. Called from the consumer's poll thread, so it must
     * be thread-safe and cheap. When it turns false the assigned partitions pause; polling
     * goes on, and they resume on the first poll after it turns true again.
     */
    public StageOptions setCapacity(BooleanSupplier capacity) {
        this.capacity = Objects.requireNonNull(capacity);
        return this;
    }

    public StageOptions setRegistry(MeterRegistry registry) {
        this.registry = registry;
        return this;
    }

    /** A Kafka consumer property (e.g. {@code max.poll.interval.ms}), applied over the defaults. */
    public StageOptions putConsumerProperty(String key, Object value) {
        consumerProperties.put(key, value);
        return this;
    }

    /**
     * Kafka client properties of the cluster connection (security protocol, SASL, TLS), as
     * {@code StunetConfig#kafkaClientProperties}; applied before the consumer properties.
     */
    public StageOptions setClientProperties(Map<String, Object> properties) {
        clientProperties.clear();
        clientProperties.putAll(properties);
        return this;
    }

    public Map<String, Object> getClientProperties() {
        return Map.copyOf(clientProperties);
    }

    public String getStage() {
        return stage;
    }

    public String getTopic() {
        return topic;
    }

    public String getBootstrap() {
        return bootstrap;
    }

    public String getGroupId() {
        return groupId != null ? groupId : "stunet-" + stage;
    }

    public int getMaxInFlight() {
        return maxInFlight;
    }

    public int getMaxRetries() {
        return maxRetries;
    }

    public Duration getRetryBackoff() {
        return retryBackoff;
    }

    public Duration getPollTimeout() {
        return pollTimeout;
    }

    public Duration getShutdownGrace() {
        return shutdownGrace;
    }

    public Duration getCommitInterval() {
        return commitInterval;
    }

    public BooleanSupplier getCapacity() {
        return capacity;
    }

    public MeterRegistry getRegistry() {
        return registry;
    }

    public Map<String, Object> getConsumerProperties() {
        return Map.copyOf(consumerProperties);
    }

    /**
     * Options of a stage from the service configuration: group {@code <kafka.group.prefix>-<stage>},
     * in-flight bound, retries, backoff, shutdown grace, commit interval, and the consumer's
     * {@code max.poll.interval.ms}, {@code session.timeout.ms} and {@code heartbeat.interval.ms}.
     */
    public static StageOptions fromConfig(StunetConfig config, String stage, String topic, String bootstrap) {
        return new StageOptions().setStage(stage).setTopic(topic).setBootstrap(bootstrap)
                .setGroupId(config.getString(StunetConfig.KAFKA_GROUP_PREFIX) + "-" + stage)
                .setMaxInFlight(config.getInt(StunetConfig.STAGE_MAX_IN_FLIGHT))
                .setMaxRetries(config.getInt(StunetConfig.STAGE_MAX_RETRIES))
                .setRetryBackoff(config.getMillis(StunetConfig.STAGE_RETRY_BACKOFF_MS))
                .setShutdownGrace(config.getMillis(StunetConfig.STAGE_SHUTDOWN_GRACE_MS))
                .setCommitInterval(config.getMillis(StunetConfig.STAGE_COMMIT_INTERVAL_MS))
                .putConsumerProperty("max.poll.interval.ms", config.getInt(StunetConfig.KAFKA_MAX_POLL_INTERVAL_MS))
                .putConsumerProperty("session.timeout.ms", config.getInt(StunetConfig.KAFKA_SESSION_TIMEOUT_MS))
                .putConsumerProperty("heartbeat.interval.ms", config.getInt(StunetConfig.KAFKA_HEARTBEAT_INTERVAL_MS));
    }

    void validate() {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(bootstrap, "bootstrap");
    }
}
