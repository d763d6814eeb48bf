package io.stunet.kafka;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.stunet.broker.EmbeddedKafka;
import io.stunet.config.StunetConfig;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.topics.Topics;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.stunet.kafka.KafkaTestSupport.carryOneCase;
import static io.stunet.kafka.KafkaTestSupport.submitted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code kafka.client.*} pass-through against a broker whose client listener demands
 * SASL (PLAIN over SASL_PLAINTEXT): the right credentials through the configuration carry a
 * record through topic creation, the publisher, a stage consumer and the status view, and no
 * log line shows the password; wrong or missing credentials stop start-up with a clear error.
 */
class KafkaSecurityTest {
    private static final String PASSWORD = "pw-" + UUID.randomUUID();
    private static final String ADMIN_PASSWORD = "admin-" + UUID.randomUUID();

    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0, Map.of(
                "listener.security.protocol.map", EmbeddedKafka.CLIENT_LISTENER + ":SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
                "sasl.enabled.mechanisms", "PLAIN",
                "sasl.mechanism.inter.broker.protocol", "PLAIN",
                "listener.name.client.plain.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                        + " username=\"admin\" password=\"" + ADMIN_PASSWORD + "\" user_admin=\"" + ADMIN_PASSWORD + "\""
                        + " user_stunet=\"" + PASSWORD + "\";"));
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    private static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /** Security protocol and mechanism from the environment, the JAAS line from a properties file. */
    private static StunetConfig config(String password, Map<String, String> more) throws Exception {
        Path props = Files.createTempFile(dir, "client", ".properties");
        Files.writeString(props, "sasl.jaas.config=" + jaas("stunet", password).replace("\"", "\\\"") + "\n"
                + "request.timeout.ms=15000\n");
        Map<String, String> overrides = new HashMap<>(Map.of("kafka.bootstrap", kafka.bootstrapServers(),
                "kafka.client.properties", props.toString(),
                "store.local.root", dir.resolve("blobs").toString(),
                "topics.partitions.case", "1", "topics.partitions.tile", "1"));
        overrides.putAll(more);
        return StunetConfig.load(null, Map.of("STUNET_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                "STUNET_KAFKA_CLIENT_SASL_MECHANISM", "PLAIN"), overrides);
    }

    @Test
    void theRightCredentialsCarryACaseThroughTheRuntimeAndNeverReachTheLogs() throws Exception {
        StunetConfig config = config(PASSWORD, Map.of());
        assertEquals("SASL_PLAINTEXT", config.kafkaClientProperties().get("security.protocol"));
        assertEquals("****", config.describe().get("kafka.client.sasl.jaas.config"));
        assertFalse(config.describe().toString().contains(PASSWORD));

        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger kafkaClients = (Logger) LoggerFactory.getLogger("org.apache.kafka");
        Level before = kafkaClients.getLevel();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        kafkaClients.setLevel(Level.INFO);
        try {
            carryOneCase(config, "secure", 500);
        } finally {
            root.detachAppender(logs);
            kafkaClients.setLevel(before);
        }
        List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertTrue(lines.stream().anyMatch(l -> l.contains("sasl.jaas.config = [hidden]")),
                "the clients' configuration dumps were captured");
        assertTrue(lines.stream().anyMatch(l -> l.contains("event=kafka_client_properties")));
        for (String line : lines) {
            assertFalse(line.contains(PASSWORD), "a log line shows the password: " + line);
        }
    }

    @Test
    void aWrongPasswordStopsStartUpWithAnAuthenticationError() throws Exception {
        StunetConfig config = config("not-" + PASSWORD, Map.of());
        Vertx vertx = Vertx.vertx();
        try {
            StunetException e = assertThrows(StunetException.class, () -> StreamingRuntime.start(vertx, config, "secure", null));
            assertEquals(ErrorCode.INVALID_CONFIG, e.code());
            assertTrue(e.getMessage().startsWith("Kafka authentication failed (check the kafka.client.* security settings"),
                    e.getMessage());
            assertFalse(e.getMessage().contains(PASSWORD));

            try (RecordPublisher publisher = new RecordPublisher(vertx, kafka.bootstrapServers(), config.kafkaClientProperties())) {
                Throwable failed = publisher.publish(Outbound.of(Topics.CASE_SUBMITTED, submitted(501)))
                        .toCompletionStage().toCompletableFuture().handle((v, err) -> err).get(60, TimeUnit.SECONDS);
                assertTrue(failed instanceof StunetException s && s.code() == ErrorCode.BROKER_FAILURE, String.valueOf(failed));
                assertTrue(failed.getMessage().contains("Authentication failed"), failed.getMessage());
            }
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void noCredentialsAgainstASaslListenerTimesOutWithAHintAtTheSecuritySettings() throws Exception {
        StunetConfig config = StunetConfig.load(null, Map.of(), Map.of("kafka.bootstrap", kafka.bootstrapServers(),
                "kafka.startup.timeout.ms", "3000", "store.local.root", dir.resolve("blobs").toString()));
        Vertx vertx = Vertx.vertx();
        try {
            long t0 = System.nanoTime();
            StunetException e = assertThrows(StunetException.class, () -> StreamingRuntime.start(vertx, config, "plain", null));
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(ErrorCode.BROKER_FAILURE, e.code());
            assertTrue(e.getMessage().contains("kafka.client.security.protocol"), e.getMessage());
            assertTrue(millis < 20_000, "bounded by kafka.startup.timeout.ms: " + millis + " ms");
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }
}
