package io.stunet.store;

import io.stunet.config.StunetConfig;
import io.stunet.testing.MotoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** The store contract against a real S3-compatible server (moto) on loopback. */
class S3StoreTest extends ClaimCheckStoreContract {
    private static MotoServer moto;
    private S3Store store;

    @BeforeAll
    static void startServer() {
        moto = MotoServer.start();
    }

    @AfterAll
    static void stopServer() {
        moto.close();
    }

    @BeforeEach
    void open() {
        // A bucket per test keeps the tests independent without deleting between them.
        String bucket = "stunet-" + UUID.randomUUID().toString().substring(0, 8);
        store = new S3Store(new S3Store.Settings(moto.endpoint(), "us-east-1", bucket, "test", "test",
                true, 8 * 1024 * 1024, 5 * 1024 * 1024, true));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Override
    ClaimCheckStore store() {
        return store;
    }

    @Test
    void theConfigurationOpensAnS3StoreWithItsSettings() {
        StunetConfig config = StunetConfig.load(null, Map.of(
                "STUNET_STORE_TYPE", "s3",
                "STUNET_STORE_S3_ENDPOINT", moto.endpoint().toString(),
                "STUNET_STORE_S3_BUCKET", "from-config",
                "STUNET_STORE_S3_ACCESS_KEY", "test",
                "STUNET_STORE_S3_SECRET_KEY", "test",
                "STUNET_STORE_S3_CREATE_BUCKET", "true"), Map.of());
        try (ClaimCheckStore fromConfig = ClaimCheckStores.open(config)) {
            assertInstanceOf(S3Store.class, fromConfig);
            byte[] data = random(1000, 42);
            assertArrayEquals(data, fromConfig.get(fromConfig.put(BlobKeys.stats(CASE), data)));
            assertFalse(store.exists(BlobKeys.stats(CASE)), "the configured bucket is used, not another one");
        }
    }
}
