package io.stunet.config;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
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
