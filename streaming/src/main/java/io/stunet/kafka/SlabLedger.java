package io.stunet.kafka;

import io.stunet.store.BlobKeys;
import io.stunet.store.ClaimCheckStore;

import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dedupe for the tile stages, which see records at least once: remembers which
 * {@code (caseId, slab)} pairs this process has already taken and which cases it has
 * completed, for a bounded number of recent cases (least recently used are forgotten).
 * In-memory dedupe only saves repeated work within one process; correctness across
 * processes comes from the store ({@link #slabsInStore}) and deterministic blob keys.
 * Thread-safe.
 */
public final class SlabLedger {
    private final Map<String, CaseSlabs> cases;

    private static final class CaseSlabs {
        final BitSet seen = new BitSet();
        int slabCount;
        boolean completed;
    }

    public SlabLedger(int maxCases) {
        if (maxCases < 1) {
            throw new IllegalArgumentException("maxCases must be >= 1");
        }
        this.cases = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CaseSlabs> eldest) {
                return size() > maxCases;
            }
        };
    }

    /** Records that a slab was seen; true the first time for this (case, slab). */
    public synchronized boolean firstSeen(String caseId, int slab, int slabCount) {
        CaseSlabs c = cases.computeIfAbsent(caseId, k -> new CaseSlabs());
        c.slabCount = slabCount;
        if (c.seen.get(slab)) {
            return false;
        }
        c.seen.set(slab);
        return true;
    }

    /** Whether every slab of the case has been seen by this process. */
    public synchronized boolean allSeen(String caseId) {
        CaseSlabs c = cases.get(caseId);
        return c != null && c.slabCount > 0 && c.seen.cardinality() == c.slabCount;
    }

    /** Marks a case completed; true only for the first call per case (while remembered). */
    public synchronized boolean firstCompletion(String caseId) {
        CaseSlabs c = cases.computeIfAbsent(caseId, k -> new CaseSlabs());
        if (c.completed) {
            return false;
        }
        c.completed = true;
        return true;
    }

    /** Forgets that a slab was seen (its attempt failed; the next one must run). */
    public synchronized void forget(String caseId, int slab) {
        CaseSlabs c = cases.get(caseId);
        if (c != null) {
            c.seen.clear(slab);
        }
    }

    /** Drops what is known about a case (e.g. after it failed and may be resubmitted). */
    public synchronized void forget(String caseId) {
        cases.remove(caseId);
    }

    /**
     * The slabs of a case whose labels are in the store: the authoritative answer to "are all
     * slabs there", whichever process wrote them. Blocking.
     */
    public static BitSet slabsInStore(ClaimCheckStore store, String caseId) {
        BitSet present = new BitSet();
        for (String key : store.list(BlobKeys.slabPrefix(caseId))) {
            int slab = BlobKeys.slabOf(key);
            if (slab >= 0) {
                present.set(slab);
            }
        }
        return present;
    }
}
