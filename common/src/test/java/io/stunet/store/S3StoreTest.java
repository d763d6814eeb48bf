package io.stunet.store;

import io.stunet.testing.MotoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import java.util.UUID;

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
}
