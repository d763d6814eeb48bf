package io.stunet.config;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StunetConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreTheDocumentedOnes() {
        StunetConfig c = StunetConfig.defaults();
        for (ConfigKey k : StunetConfig.keys()) {
            assertEquals(k.defaultValue(), c.getString(k), k.name());
        }
        assertNull(c.getOptional(StunetConfig.KAFKA_BOOTSTRAP));
        assertEquals(8, c.getInt(StunetConfig.STAGE_MAX_IN_FLIGHT));
        assertTrue(c.getBoolean(StunetConfig.STORE_S3_PATH_STYLE));
    }

    @Test
    void fileThenEnvironmentThenOverridesWin() throws Exception {
        Path yaml = dir.resolve("stunet.yaml");
        Files.writeString(yaml, """
                kafka:
                  bootstrap: "file:9092"
                  group.prefix: fromfile
                stage:
                  max:
                    in:
                      flight: 3
                store.type: s3
                http.port: 9000
                """);
        Map<String, String> env = Map.of("STUNET_KAFKA_GROUP_PREFIX", "fromenv", "STUNET_HTTP_PORT", "9001",
                "UNRELATED", "x", "STUNET_NOT_A_KEY", "ignored");
        StunetConfig c = StunetConfig.load(yaml, env, Map.of("http.port", "9002"));
        assertEquals("file:9092", c.getString(StunetConfig.KAFKA_BOOTSTRAP));
        assertEquals("fromenv", c.getString(StunetConfig.KAFKA_GROUP_PREFIX));
        assertEquals(3, c.getInt(StunetConfig.STAGE_MAX_IN_FLIGHT));
        assertEquals("s3", c.getString(StunetConfig.STORE_TYPE));
        assertEquals(9002, c.getInt(StunetConfig.HTTP_PORT));

        Path props = dir.resolve("stunet.properties");
        Files.writeString(props, "kafka.bootstrap = props:9092\nstage.max.retries=0\n");
        StunetConfig p = StunetConfig.load(props, Map.of(), Map.of());
        assertEquals("props:9092", p.getString(StunetConfig.KAFKA_BOOTSTRAP));
        assertEquals(0, p.getInt(StunetConfig.STAGE_MAX_RETRIES));
    }

    @Test
    void listAndOptionalPathKeys() {
        StunetConfig c = StunetConfig.load(null, Map.of("STUNET_INFER_DEVICES", " gpu0, gpu1 ,,"), Map.of());
        assertEquals(java.util.List.of("gpu0", "gpu1"), c.getList(StunetConfig.INFER_DEVICES));
        assertEquals(java.util.List.of("cpu"), StunetConfig.defaults().getList(StunetConfig.INFER_DEVICES));
        assertEquals(java.util.List.of(), c.getList(StunetConfig.INGEST_AUTH_TOKENS));
        assertNull(c.getOptionalPath(StunetConfig.INGEST_INBOX_DIR));
        assertEquals(Path.of("/models/x"), StunetConfig.load(null, Map.of("STUNET_MODEL_DIR", "/models/x"), Map.of())
                .getOptionalPath(StunetConfig.MODEL_DIR));
        assertTrue(StunetConfig.INGEST_AUTH_TOKENS.secret());
    }

    @Test
    void environmentNamesFollowTheKeyNames() {
        assertEquals("STUNET_KAFKA_BOOTSTRAP", StunetConfig.KAFKA_BOOTSTRAP.envName());
        Set<String> seen = new HashSet<>();
        for (ConfigKey k : StunetConfig.keys()) {
            assertTrue(seen.add(k.envName()), "two keys share " + k.envName());
        }
    }

    @Test
    void badValuesFailWithTheKeyName() throws Exception {
        assertInvalid(Map.of("stage.max.in.flight", "many"), "stage.max.in.flight");
        assertInvalid(Map.of("stage.max.in.flight", "0"), "stage.max.in.flight");
        assertInvalid(Map.of("store.s3.path.style", "maybe"), "store.s3.path.style");
        assertInvalid(Map.of("store.type", "ftp"), "store.type");
        assertInvalid(Map.of("http.port", "70000"), "http.port");
        assertInvalid(Map.of("store.s3.part.size", "1024"), "store.s3.part.size");
        assertInvalid(Map.of("store.s3.access.key", "AKIA"), "store.s3.secret.key");
        assertInvalid(Map.of("kafka.bootstrapp", "x"), "kafka.bootstrapp");
        Path typo = dir.resolve("typo.yml");
        Files.writeString(typo, "kafka:\n  bootstrapp: x\n");
        StunetException e = assertThrows(StunetException.class, () -> StunetConfig.load(typo, Map.of(), Map.of()));
        assertEquals(ErrorCode.INVALID_CONFIG, e.code());
        assertTrue(e.getMessage().contains("kafka.bootstrapp"), e.getMessage());
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, "kafka: [unclosed\n");
        assertEquals(ErrorCode.INVALID_CONFIG,
                assertThrows(StunetException.class, () -> StunetConfig.load(broken, Map.of(), Map.of())).code());
    }

    @Test
    void secretsAreMaskedInDescriptionsAndErrors() {
        StunetConfig c = StunetConfig.load(null, Map.of("STUNET_STORE_S3_ACCESS_KEY", "AKIA",
                "STUNET_STORE_S3_SECRET_KEY", "hunter2"), Map.of());
        assertEquals("****", c.describe().get("store.s3.secret.key"));
        assertFalse(c.describe().toString().contains("hunter2"));
        assertEquals("hunter2", c.getString(StunetConfig.STORE_S3_SECRET_KEY));
    }

    @Test
    void kafkaClientPropertiesComeFromTheFileTheKeysAndTheEnvironment() throws Exception {
        Path props = dir.resolve("client.properties");
        Files.writeString(props, "security.protocol=SSL\nssl.truststore.location=/etc/ca.p12\nssl.truststore.type=PKCS12\n");
        Path yaml = dir.resolve("stunet.yaml");
        Files.writeString(yaml, "kafka:\n  client:\n    properties: " + props + "\n    ssl.truststore.type: JKS\n"
                + "    sasl:\n      mechanism: SCRAM-SHA-512\n");
        StunetConfig c = StunetConfig.load(yaml, Map.of("STUNET_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL",
                "STUNET_KAFKA_CLIENT_SASL_JAAS_CONFIG", "ScramLoginModule required username=\"u\" password=\"hunter2\";"),
                Map.of("kafka.client.request.timeout.ms", "20000"));
        assertEquals(Map.of("security.protocol", "SASL_SSL", "ssl.truststore.location", "/etc/ca.p12",
                "ssl.truststore.type", "JKS", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "ScramLoginModule required username=\"u\" password=\"hunter2\";",
                "request.timeout.ms", "20000"), c.kafkaClientProperties());
        assertEquals(props, c.getOptionalPath(StunetConfig.KAFKA_CLIENT_PROPERTIES));
        assertEquals("****", c.describe().get("kafka.client.sasl.jaas.config"));
        assertEquals("SASL_SSL", c.describe().get("kafka.client.security.protocol"));
        assertFalse(c.describe().toString().contains("hunter2"));
        assertEquals(Map.of(), StunetConfig.defaults().kafkaClientProperties());
        for (String sensitive : List.of("ssl.keystore.password", "ssl.key.password", "ssl.keystore.key", "sasl.jaas.config",
                "sasl.oauthbearer.client.credentials.client.secret", "ssl.keystore.certificate.chain")) {
            assertTrue(StunetConfig.sensitiveClientProperty(sensitive), sensitive);
        }
        for (String plain : List.of("security.protocol", "sasl.mechanism", "ssl.truststore.location", "ssl.keystore.type")) {
            assertFalse(StunetConfig.sensitiveClientProperty(plain), plain);
        }
    }

    @Test
    void kafkaClientPropertiesThePipelineOwnsAreRefused() {
        assertInvalid(Map.of("kafka.client.bootstrap.servers", "x:9092"), "kafka.client.bootstrap.servers");
        assertInvalid(Map.of("kafka.client.enable.auto.commit", "true"), "kafka.client.enable.auto.commit");
        assertInvalid(Map.of("kafka.client.acks", "1"), "kafka.client.acks");
        assertInvalid(Map.of("kafka.client.group.id", "g"), "kafka.client.group.id");
        assertInvalid(Map.of("kafka.client.properties", dir.resolve("missing.properties").toString()), "kafka.client.properties");
        StunetException e = assertThrows(StunetException.class, () -> StunetConfig.load(null,
                Map.of("STUNET_KAFKA_CLIENT_ENABLE_IDEMPOTENCE", "false"), Map.of()));
        assertTrue(e.getMessage().contains("kafka.client.enable.idempotence"), e.getMessage());
    }

    @Test
    void configurationDocumentListsEveryKey() throws Exception {
        String doc = Files.readString(TestData.root().resolve("docs/configuration.md"));
        assertTrue(doc.contains(StunetConfig.markdownTable()),
                "docs/configuration.md is out of date; replace its table with:\n" + StunetConfig.markdownTable());
    }

    private static void assertInvalid(Map<String, String> overrides, String key) {
        StunetException e = assertThrows(StunetException.class, () -> StunetConfig.load(null, Map.of(), overrides));
        assertEquals(ErrorCode.INVALID_CONFIG, e.code());
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }
}
