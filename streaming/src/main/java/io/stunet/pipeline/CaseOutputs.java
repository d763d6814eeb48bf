package io.stunet.pipeline;

import io.stunet.kafka.Outbound;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.store.BlobKeys;
import io.stunet.store.ClaimCheckStore;

import java.util.List;

/**
 * Whether a case's final outputs are already in the store. After a restart, records of a case
 * that has since completed are redelivered to preprocess and infer; doing their work again
 * would publish a newer non-final status over COMPLETED. Those stages re-assert COMPLETED
 * instead (idempotent, final), and a resubmitted finished case lands on COMPLETED at once.
 */
public final class CaseOutputs {
    private CaseOutputs() {
    }

    /** Mask and statistics exist (postprocess stores statistics after every other output, then publishes COMPLETED). Blocking. */
    public static boolean present(ClaimCheckStore store, String caseId) {
        return store.exists(BlobKeys.stats(caseId)) && store.exists(BlobKeys.mask(caseId));
    }

    /** The outbounds of a stage that found the case already complete. */
    public static List<Outbound> alreadyCompleted(String caseId, String stage) {
        return List.of(Outbound.status(CaseStatus.of(caseId, CaseState.COMPLETED, 1.0, stage)));
    }
}
