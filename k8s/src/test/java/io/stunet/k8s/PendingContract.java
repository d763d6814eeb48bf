package io.stunet.k8s;

import io.stunet.topics.Topics;

import java.util.Map;
import java.util.Set;

/**
 * Names the manifests rely on that the services do not yet expose as constants: the stage
 * (role) names with the topic each consumes and the {@code serve} options. Everything here is
 * a candidate for a constant in the code; once the code defines one, the tests read it from
 * there and the entry here goes away (configuration keys, HTTP paths and meter names already
 * come from {@code StunetConfig}, {@code ServiceRoutes} and the services' own registries).
 */
final class PendingContract {
    private PendingContract() {
    }

    /** Stage name (the {@code serve --roles} value and consumer-group suffix) to its input topic. */
    static final Map<String, String> STAGE_INPUT_TOPICS = Map.of(
            "preprocess", Topics.CASE_SUBMITTED,
            "infer", Topics.TILE_REQUESTED,
            "postprocess", Topics.TILE_SEGMENTED);

    /**
     * Topics each role publishes to (docs/pipeline.md, "Topics"): its downstream topic, the
     * status topic, and the dead letters (every stage; ingest for refused inputs).
     */
    static final Map<String, Set<String>> ROLE_OUTPUT_TOPICS = Map.of(
            "ingest", Set.of(Topics.CASE_SUBMITTED, Topics.STATUS, Topics.DLQ),
            "preprocess", Set.of(Topics.TILE_REQUESTED, Topics.STATUS, Topics.DLQ),
            "infer", Set.of(Topics.TILE_SEGMENTED, Topics.STATUS, Topics.DLQ),
            "postprocess", Set.of(Topics.CASE_COMPLETED, Topics.STATUS, Topics.DLQ));

    /** Topics a role reads without a consumer group: ingest's case status view. */
    static final Map<String, Set<String>> ROLE_VIEWED_TOPICS = Map.of("ingest", Set.of(Topics.STATUS));

    /** Every service role. ingest consumes no pipeline topic (it is an HTTP front door). */
    static final Set<String> ROLES = Set.of("ingest", "preprocess", "infer", "postprocess");

    static final String SERVE_COMMAND = "serve";
    static final String ROLES_OPTION = "--roles";
    static final String CONFIG_OPTION = "--config";
}
