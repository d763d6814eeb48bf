package io.stunet.topics;

import java.util.List;
import java.util.Map;

/**
 * The pipeline's Kafka topics (docs/design.md, "Stages and topics") and their defaults. Case
 * topics are keyed by case id; tile topics by {@code caseId/slab} and get more partitions,
 * because their partition count caps how many infer consumers (devices) can share the work.
 * {@link #STATUS} is compacted: it holds the latest state of every case.
 */
public final class Topics {
    public static final String CASE_SUBMITTED = "stunet.case.submitted";
    public static final String TILE_REQUESTED = "stunet.tile.requested";
    public static final String TILE_SEGMENTED = "stunet.tile.segmented";
    public static final String CASE_COMPLETED = "stunet.case.completed";
    public static final String STATUS = "stunet.case.status";
    public static final String DLQ = "stunet.dlq";

    /** Default partition count of the case-keyed topics (submitted, completed, status, dlq). */
    public static final int DEFAULT_CASE_PARTITIONS = 4;
    /** Default partition count of the slab-keyed topics (tile.requested, tile.segmented). */
    public static final int DEFAULT_TILE_PARTITIONS = 12;

    private Topics() {
    }

    /** Every topic with the given partition counts and replication factor. */
    public static List<TopicSpec> all(int casePartitions, int tilePartitions, short replication) {
        return List.of(
                new TopicSpec(CASE_SUBMITTED, casePartitions, replication, Map.of()),
                new TopicSpec(TILE_REQUESTED, tilePartitions, replication, Map.of()),
                new TopicSpec(TILE_SEGMENTED, tilePartitions, replication, Map.of()),
                new TopicSpec(CASE_COMPLETED, casePartitions, replication, Map.of()),
                new TopicSpec(STATUS, casePartitions, replication, Map.of("cleanup.policy", "compact")),
                new TopicSpec(DLQ, casePartitions, replication, Map.of()));
    }

    /** Every topic with the default partition counts and replication factor 1. */
    public static List<TopicSpec> defaults() {
        return all(DEFAULT_CASE_PARTITIONS, DEFAULT_TILE_PARTITIONS, (short) 1);
    }
}
