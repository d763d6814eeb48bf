package io.stunet.kafka;

import io.stunet.records.CaseIds;
import io.stunet.store.BlobKeys;
import io.stunet.store.LocalDirectoryStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlabLedgerTest {
    private static final String A = CaseIds.derive("01".repeat(32), "02".repeat(32), Map.of());
    private static final String B = CaseIds.derive("03".repeat(32), "02".repeat(32), Map.of());

    @Test
    void eachSlabIsFirstSeenOnceAndACaseCompletesOnce() {
        SlabLedger ledger = new SlabLedger(10);
        assertTrue(ledger.firstSeen(A, 0, 2));
        assertFalse(ledger.firstSeen(A, 0, 2), "a redelivered slab is a duplicate");
        assertFalse(ledger.allSeen(A));
        assertTrue(ledger.firstSeen(A, 1, 2));
        assertTrue(ledger.allSeen(A));
        assertTrue(ledger.firstCompletion(A));
        assertFalse(ledger.firstCompletion(A));
        assertTrue(ledger.firstSeen(B, 0, 2), "cases are independent");
    }

    @Test
    void aForgottenSlabIsSeenAgainAndOnlyThatSlab() {
        SlabLedger ledger = new SlabLedger(10);
        assertTrue(ledger.firstSeen(A, 0, 2));
        assertTrue(ledger.firstSeen(A, 1, 2));
        ledger.forget(A, 0);
        assertTrue(ledger.firstSeen(A, 0, 2), "a slab whose attempt failed runs again");
        assertFalse(ledger.firstSeen(A, 1, 2), "the other slab is still known");
    }

    @Test
    void leastRecentlyUsedCasesAreForgotten() {
        SlabLedger ledger = new SlabLedger(1);
        ledger.firstSeen(A, 0, 2);
        ledger.firstSeen(B, 0, 2);
        assertTrue(ledger.firstSeen(A, 0, 2), "A was evicted when B arrived");
    }

    @Test
    void theStoreTellsWhichSlabsExist(@TempDir Path dir) {
        try (LocalDirectoryStore store = new LocalDirectoryStore(dir)) {
            store.put(BlobKeys.slabLabels(A, 0), new byte[]{1});
            store.put(BlobKeys.slabLabels(A, 2), new byte[]{1});
            store.put(BlobKeys.mask(A), new byte[]{1});
            BitSet expected = new BitSet();
            expected.set(0);
            expected.set(2);
            assertEquals(expected, SlabLedger.slabsInStore(store, A));
            assertEquals(new BitSet(), SlabLedger.slabsInStore(store, B));
        }
    }
}
