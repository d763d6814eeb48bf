package io.stunet.kafka;

import io.stunet.broker.EmbeddedKafka;
import io.stunet.config.StunetConfig;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.stunet.kafka.KafkaTestSupport.await;
import static io.stunet.kafka.KafkaTestSupport.carryOneCase;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client security the Kubernetes manifests use (docs/configuration.md, docs/deploy.md):
 * SCRAM-SHA-512 over TLS, against a real broker whose client listener demands both. The
 * broker's certificate is made here with the JDK's {@code keytool}; the SCRAM user is created
 * through the Admin API on a second, plaintext listener (as an operator's tooling would), and
 * the pipeline's clients get the settings as docs/configuration.md shows them.
 */
class KafkaScramTlsTest {
    private static final String PASSWORD = "scram-" + UUID.randomUUID();
    private static final String STORE_PASSWORD = "store-" + UUID.randomUUID();

    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static String internal;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool " + String.join(" ", args) + ": " + out);
    }

    /** A self-signed certificate for 127.0.0.1: key store {@code NAME.p12}, certificate {@code NAME.pem}. */
    private static Path certificate(String name) throws Exception {
        Path keys = dir.resolve(name + ".p12");
        Path cert = dir.resolve(name + ".pem");
        keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-keystore", keys.toString(),
                "-storetype", "PKCS12", "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", name, "-keystore", keys.toString(), "-storepass", STORE_PASSWORD,
                "-file", cert.toString());
        return keys;
    }

    @BeforeAll
    static void start() throws Exception {
        Path keys = certificate("broker");
        Path data = dir.resolve("kafka");
        Files.createDirectories(data);
        int client = freePort();
        int plain = freePort();
        int controller = freePort();
        // The embedded broker keeps the ports of this file when they are free; the listeners below name them.
        Files.writeString(data.resolve("ports"), client + " " + controller + "\n");
        internal = "127.0.0.1:" + plain;
        Map<String, String> o = new HashMap<>();
        o.put("listeners", "CLIENT://127.0.0.1:" + client + ",INTERNAL://" + internal + ",CONTROLLER://127.0.0.1:" + controller);
        o.put("advertised.listeners", "CLIENT://127.0.0.1:" + client + ",INTERNAL://" + internal);
        o.put("listener.security.protocol.map", "CLIENT:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
        o.put("inter.broker.listener.name", "INTERNAL");
        o.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        o.put("listener.name.client.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        o.put("listener.name.client.ssl.keystore.location", keys.toString());
        o.put("listener.name.client.ssl.keystore.type", "PKCS12");
        o.put("listener.name.client.ssl.keystore.password", STORE_PASSWORD);
        o.put("listener.name.client.ssl.key.password", STORE_PASSWORD);
        kafka = EmbeddedKafka.start(data, client, o);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, internal))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("stunet",
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), PASSWORD))).all().get(60, TimeUnit.SECONDS);
            await("the SCRAM user in the metadata", Duration.ofSeconds(30), () -> {
                try {
                    return admin.describeUserScramCredentials(List.of("stunet")).all().get(10, TimeUnit.SECONDS).containsKey("stunet");
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    /**
     * The example of docs/configuration.md: the client block in the YAML file with the broker's
     * CA certificate as a PEM trust store, the JAAS line (the password) from the environment.
     */
    private static StunetConfig config(Path caPem) throws Exception {
        Path yaml = Files.createTempFile(dir, "stunet", ".yaml");
        Files.writeString(yaml, String.join("\n",
                "kafka:",
                "  bootstrap: " + kafka.bootstrapServers(),
                "  startup.timeout.ms: 20000",
                "  client:",
                "    security.protocol: SASL_SSL",
                "    sasl.mechanism: SCRAM-SHA-512",
                "    ssl.truststore.type: PEM",
                "    ssl.truststore.location: " + caPem,
                "    request.timeout.ms: 15000",
                "store.local.root: " + dir.resolve("blobs"),
                "topics.partitions.case: 1",
                "topics.partitions.tile: 1", ""));
        return StunetConfig.load(yaml, Map.of("STUNET_KAFKA_CLIENT_SASL_JAAS_CONFIG",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"stunet\" password=\""
                        + PASSWORD + "\";"), Map.of());
    }

    @Test
    void scramOverTlsCarriesACaseThroughTopicCreationPublisherStageAndView() throws Exception {
        StunetConfig config = config(dir.resolve("broker.pem"));
        assertEquals("SASL_SSL", config.kafkaClientProperties().get("security.protocol"));
        assertEquals("****", config.describe().get("kafka.client.sasl.jaas.config"));
        assertFalse(config.describe().toString().contains(PASSWORD));
        carryOneCase(config, "scram", 700);
    }

    @Test
    void aBrokerCertificateTheTrustStoreDoesNotHoldStopsStartUpWithATlsError() throws Exception {
        certificate("stranger");
        StunetConfig config = config(dir.resolve("stranger.pem"));
        Vertx vertx = Vertx.vertx();
        try {
            StunetException e = assertThrows(StunetException.class, () -> StreamingRuntime.start(vertx, config, "scram", null));
            assertEquals(ErrorCode.INVALID_CONFIG, e.code());
            assertTrue(e.getMessage().startsWith("Kafka authentication failed (check the kafka.client.* security settings"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("SSL handshake failed"), e.getMessage());
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }
}
