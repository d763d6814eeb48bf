package io.stunet.store;

import io.stunet.error.ErrorCode;
import io.stunet.records.BlobRef;
import io.stunet.records.CaseIds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The behaviour every {@link ClaimCheckStore} must have; each implementation's test class
 * extends this and supplies a store, so local directory and S3 are held to the same contract.
 */
abstract class ClaimCheckStoreContract {
    /** Blobs above this size exercise the multipart path of stores that have one. */
    static final int LARGE = 12 * 1024 * 1024 + 123;

    @TempDir
    Path tmp;

    abstract ClaimCheckStore store();

    static final String CASE = CaseIds.derive("00".repeat(32), "11".repeat(32), Map.of());

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void putThenGetReturnsTheBytesAndTheirClaimCheck() {
        byte[] data = random(10_000, 1);
        BlobRef ref = store().put(BlobKeys.input(CASE), data);
        assertEquals(new BlobRef(BlobKeys.input(CASE), data.length, Digests.sha256Hex(data)), ref);
        assertArrayEquals(data, store().get(BlobKeys.input(CASE)));
        assertArrayEquals(data, store().get(ref));
        assertTrue(store().exists(ref.key()));
        assertEquals(data.length, store().size(ref.key()));
        assertTrue(store().matches(ref));
    }

    @Test
    void putReplacesAnExistingBlobWhole() {
        String key = BlobKeys.stats(CASE);
        store().put(key, random(5000, 2));
        byte[] second = random(100, 3);
        store().put(key, second);
        assertArrayEquals(second, store().get(key));
        assertEquals(100, store().size(key));
    }

    @Test
    void emptyBlobsAreBlobs() {
        BlobRef ref = store().put(BlobKeys.stats(CASE), new byte[0]);
        assertEquals(0, ref.size());
        assertArrayEquals(new byte[0], store().get(ref));
    }

    @Test
    void streamsAndFilesOfAnySizeRoundTrip() throws Exception {
        byte[] large = random(LARGE, 4);
        BlobRef fromStream = store().put(BlobKeys.preprocessedVolume(CASE), new ByteArrayInputStream(large));
        assertEquals(new BlobRef(BlobKeys.preprocessedVolume(CASE), large.length, Digests.sha256Hex(large)), fromStream);
        try (InputStream in = store().open(fromStream.key())) {
            assertArrayEquals(large, in.readAllBytes());
        }
        Path file = tmp.resolve("mask.bin");
        byte[] small = random(3000, 5);
        Files.write(file, small);
        BlobRef fromFile = store().putFile(BlobKeys.mask(CASE), file);
        assertEquals(Digests.sha256Hex(small), fromFile.sha256());
        assertArrayEquals(small, store().get(fromFile));
        byte[] exact = random(LARGE, 6);
        assertArrayEquals(exact, store().get(store().put(BlobKeys.slabLabels(CASE, 7), exact)));
    }

    @Test
    void rangeReadsReturnExactlyTheRequestedBytes() {
        byte[] data = random(LARGE, 7);
        String key = BlobKeys.preprocessedVolume(CASE);
        store().put(key, data);
        long[][] ranges = {{0, 1}, {0, 4096}, {5_000_001, 1_000_000}, {data.length - 17, 17}, {123, 0}};
        for (long[] r : ranges) {
            byte[] expected = Arrays.copyOfRange(data, (int) r[0], (int) (r[0] + r[1]));
            assertArrayEquals(expected, store().getRange(key, r[0], (int) r[1]), "range " + Arrays.toString(r));
        }
        StoreException e = assertThrows(StoreException.class, () -> store().getRange(key, data.length - 1, 2));
        assertEquals(ErrorCode.BLOB_CORRUPT, e.code());
    }

    @Test
    void missingBlobsAreReportedAsBlobCorrupt() {
        String key = BlobKeys.mask(CASE);
        assertFalse(store().exists(key));
        assertEquals(ErrorCode.BLOB_CORRUPT, assertThrows(StoreException.class, () -> store().get(key)).code());
        assertEquals(ErrorCode.BLOB_CORRUPT, assertThrows(StoreException.class, () -> store().size(key)).code());
        assertEquals(ErrorCode.BLOB_CORRUPT, assertThrows(StoreException.class, () -> store().getRange(key, 0, 1)).code());
        store().delete(key);
    }

    @Test
    void aClaimCheckThatDoesNotMatchIsBlobCorrupt() {
        byte[] data = random(500, 8);
        BlobRef ref = store().put(BlobKeys.stats(CASE), data);
        store().put(ref.key(), random(500, 9));
        assertEquals(ErrorCode.BLOB_CORRUPT, assertThrows(StoreException.class, () -> store().get(ref)).code());
    }

    @Test
    void deleteRemovesAndListFindsByPrefix() {
        for (int i = 0; i < 3; i++) {
            store().put(BlobKeys.slabLabels(CASE, i), random(10, i));
        }
        String other = CaseIds.derive("22".repeat(32), "11".repeat(32), Map.of());
        store().put(BlobKeys.input(other), random(10, 10));
        store().put(BlobKeys.input(CASE), random(10, 11));
        assertEquals(List.of(BlobKeys.slabLabels(CASE, 0), BlobKeys.slabLabels(CASE, 1), BlobKeys.slabLabels(CASE, 2)),
                store().list(BlobKeys.slabPrefix(CASE)));
        assertEquals(4, store().list(BlobKeys.casePrefix(CASE)).size());
        assertEquals(List.of(BlobKeys.input(CASE)), store().list(BlobKeys.casePrefix(CASE) + "inp"));
        assertEquals(5, store().list("cases/").size());
        store().delete(BlobKeys.slabLabels(CASE, 1));
        assertFalse(store().exists(BlobKeys.slabLabels(CASE, 1)));
        assertEquals(List.of(0, 2), store().list(BlobKeys.slabPrefix(CASE)).stream().map(BlobKeys::slabOf).toList());
        assertEquals(List.of(), store().list("cases/" + "f".repeat(32) + "/"));
    }

    @Test
    void keysThatEscapeOrAreMalformedAreRefused() {
        for (String key : List.of("../etc/passwd", "cases/../../x", "/abs/path", "a//b", "a/./b", "", "dir/",
                "a\\b", "spaces are bad", "cases/\u00e9")) {
            StoreException e = assertThrows(StoreException.class, () -> store().put(key, new byte[1]), key);
            assertEquals(ErrorCode.INVALID_REQUEST, e.code(), key);
            assertEquals(ErrorCode.INVALID_REQUEST, assertThrows(StoreException.class, () -> store().get(key)).code(), key);
        }
        assertEquals(ErrorCode.INVALID_REQUEST, assertThrows(StoreException.class, () -> store().list("../")).code());
        assertThrows(StoreException.class, () -> BlobKeys.input("../x"));
    }
}
