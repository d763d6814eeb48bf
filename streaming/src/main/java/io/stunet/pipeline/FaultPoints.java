package io.stunet.pipeline;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Named points in a stage's work where a process can be told to stop making progress, so that
 * a test can kill it there with SIGKILL and prove what survives (docs/pipeline.md, "Delivery
 * guarantees"). Inert unless the environment variable {@value #ENV} lists the point
 * (comma-separated names); then the work that reaches it logs {@code event=fault_point_held}
 * once and never continues, while the rest of the process (other requests, health, metrics)
 * goes on. Never set in a deployment.
 */
public final class FaultPoints {
    /** Environment variable listing the held points. */
    public static final String ENV = "STUNET_FAULT_HOLD";
    /** Ingest published a case's RECEIVED status and not yet its {@code CaseSubmitted} record. */
    public static final String INGEST_AFTER_RECEIVED = "ingest.after_received";
    /** Ingest published {@code CaseSubmitted} and not yet stored the case's submitted mark. */
    public static final String INGEST_AFTER_SUBMITTED = "ingest.after_submitted";

    private static final Logger LOG = LoggerFactory.getLogger(FaultPoints.class);
    private static final Set<String> HELD = parse(System.getenv(ENV));

    private FaultPoints() {
    }

    /** The point names of a {@value #ENV} value; none for null or blank. */
    public static Set<String> parse(String value) {
        if (value == null || value.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * A future that succeeds at once, or, when this process holds {@code point}, never completes
     * (after one log line naming the point and the case).
     */
    public static Future<Void> pass(String point, String caseId) {
        return pass(HELD, point, caseId);
    }

    static Future<Void> pass(Set<String> held, String point, String caseId) {
        if (!held.contains(point)) {
            return Future.succeededFuture();
        }
        LOG.warn("event=fault_point_held point={} case={}", point, caseId);
        return Promise.<Void>promise().future();
    }
}
