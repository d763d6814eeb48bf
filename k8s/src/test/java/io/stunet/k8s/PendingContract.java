package io.stunet.k8s;

import io.stunet.topics.Topics;

import java.util.Map;
import java.util.Set;

/**
 * Names the manifests rely on that the services do not yet expose as constants: the stage
 * (role) names with the topic each consumes, the {@code serve} options, configuration keys
 * the stage services will read (as their {@code STUNET_*} variables) and the operational HTTP
 * paths. Everything here is a candidate for a constant in
 * common; once the code defines one, the tests should read it from there and the entry here
 * goes away.
 */
final class PendingContract {
    private PendingContract() {
    }

    /** Stage name (the {@code serve --roles} value and consumer-group suffix) to its input topic. */
    static final Map<String, String> STAGE_INPUT_TOPICS = Map.of(
            "preprocess", Topics.CASE_SUBMITTED,
            "infer", Topics.TILE_REQUESTED,
            "postprocess", Topics.TILE_SEGMENTED);

    /** Every service role. ingest consumes no pipeline topic (it is an HTTP front door). */
    static final Set<String> ROLES = Set.of("ingest", "preprocess", "infer", "postprocess");

    static final String SERVE_COMMAND = "serve";
    static final String ROLES_OPTION = "--roles";
    static final String CONFIG_OPTION = "--config";

    /** Environment variables of configuration keys the stage services are expected to add. */
    static final Set<String> PENDING_ENV = Set.of(
            "STUNET_MODEL_DIR",          // model.dir: the model directory infer loads
            "STUNET_INFER_DEVICES",      // infer.devices: comma-separated devices (cpu, gpu0, ...)
            "STUNET_INGEST_AUTH_TOKENS"); // ingest.auth.tokens: accepted bearer tokens

    static final String METRICS_PATH = "/metrics";
    static final String LIVE_PATH = "/health/live";
    static final String READY_PATH = "/health/ready";
}
