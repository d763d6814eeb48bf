package io.stunet.k8s;

import io.stunet.topics.Topics;

import java.util.Map;
import java.util.Set;

/**
 * Names the manifests rely on that the services do not yet expose as constants: the stage
 * (role) names with the topic each consumes, the {@code serve} options and the inference
 * engine's meters. Everything here is a candidate for a constant in the code; once the code
 * defines one, the tests read it from there and the entry here goes away (configuration keys
 * and HTTP paths already moved to {@code StunetConfig} and {@code ServiceRoutes}).
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

    /** Prometheus names of the inference engine's meters (as exposed, with suffixes). */
    static final Set<String> PENDING_METRICS = Set.of(
            "stunet_infer_patches_total",
            "stunet_infer_batch_fill_ratio",
            "stunet_infer_device_busy_ratio");
}
