package io.stunet.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalDirectoryStoreTest extends ClaimCheckStoreContract {
    private LocalDirectoryStore store;

    @BeforeEach
    void open() {
        store = new LocalDirectoryStore(tmp.resolve("blobs"));
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
    void aFailedStreamingPutLeavesNeitherBlobNorTemporaryFile() throws IOException {
        String key = BlobKeys.preprocessedVolume(CASE);
        InputStream failing = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n++ > 100_000) {
                    throw new IOException("connection reset");
                }
                return 7;
            }
        };
        assertThrows(StoreException.class, () -> store.put(key, failing));
        assertFalse(store.exists(key));
        try (Stream<java.nio.file.Path> tmpFiles = Files.list(store.root().resolve(".tmp"))) {
            assertEquals(List.of(), tmpFiles.toList());
        }
        assertEquals(List.of(), store.list(""));
    }

    @Test
    void blobsAreFilesAtTheirKeyUnderTheRoot() {
        store.put(BlobKeys.stats(CASE), new byte[]{1, 2, 3});
        assertTrue(Files.isRegularFile(store.root().resolve("cases").resolve(CASE).resolve("stats.json")));
    }
}
