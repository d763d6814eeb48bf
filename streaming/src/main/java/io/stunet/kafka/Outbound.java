package io.stunet.kafka;

import io.stunet.records.CaseStatus;
import io.stunet.records.StunetRecord;
import io.stunet.records.TileRequested;
import io.stunet.records.TileSegmented;
import io.stunet.topics.Topics;

import java.util.Objects;

/**
 * A record a stage wants published as the effect of handling its input. The stage consumer
 * publishes every outbound record (acks from all in-sync replicas) before it counts the
 * input as done, so a crash in between redelivers the input rather than losing the output.
 */
public record Outbound(String topic, String key, StunetRecord record) {
    public Outbound {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(record, "record");
    }

    /** A record on a topic, keyed as docs/design.md says: {@code caseId/slab} for tiles, case id otherwise. */
    public static Outbound of(String topic, StunetRecord record) {
        String key;
        if (record instanceof TileRequested t) {
            key = t.key();
        } else if (record instanceof TileSegmented t) {
            key = t.key();
        } else {
            key = record.caseId();
        }
        return new Outbound(topic, key, record);
    }

    /** A status update on the compacted status topic. */
    public static Outbound status(CaseStatus status) {
        return new Outbound(Topics.STATUS, status.caseId(), status);
    }
}
