package io.stunet.pipeline;

import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultPointsTest {
    @Test
    void theVariableListsPointNames() {
        assertEquals(Set.of(), FaultPoints.parse(null));
        assertEquals(Set.of(), FaultPoints.parse(" "));
        assertEquals(Set.of(FaultPoints.INGEST_AFTER_RECEIVED, FaultPoints.INGEST_AFTER_SUBMITTED),
                FaultPoints.parse(" ingest.after_received,,ingest.after_submitted "));
    }

    @Test
    void aHeldPointNeverCompletesAndOthersPassAtOnce() {
        Set<String> held = Set.of(FaultPoints.INGEST_AFTER_RECEIVED);
        Future<Void> stopped = FaultPoints.pass(held, FaultPoints.INGEST_AFTER_RECEIVED, "c1");
        Future<Void> passed = FaultPoints.pass(held, FaultPoints.INGEST_AFTER_SUBMITTED, "c1");
        assertFalse(stopped.isComplete());
        assertTrue(passed.succeeded());
        assertTrue(FaultPoints.pass(FaultPoints.INGEST_AFTER_RECEIVED, "c1").succeeded(), "inert without " + FaultPoints.ENV);
    }
}
