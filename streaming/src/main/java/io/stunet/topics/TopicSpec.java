package io.stunet.topics;

import java.util.Map;
import java.util.Objects;

/**
 * What a topic should look like when the pipeline starts: name, partitions, replication and
 * topic-level configuration (e.g. {@code cleanup.policy=compact}).
 */
public record TopicSpec(String name, int partitions, short replication, Map<String, String> configs) {
    public TopicSpec {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1 for " + name);
        }
        if (replication < 1) {
            throw new IllegalArgumentException("replication must be >= 1 for " + name);
        }
        configs = Map.copyOf(configs);
    }
}
