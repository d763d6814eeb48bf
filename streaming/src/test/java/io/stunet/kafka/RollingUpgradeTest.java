package io.stunet.kafka;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.broker.EmbeddedKafka;
import io.stunet.error.ErrorCode;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.CaseSubmitted;
import io.stunet.records.DeadLetter;
import io.stunet.records.RecordCodec;
import io.stunet.topics.TopicCreator;
import io.stunet.topics.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static io.stunet.kafka.KafkaTestSupport.await;
import static io.stunet.kafka.KafkaTestSupport.createTopic;
import static io.stunet.kafka.KafkaTestSupport.produce;
import static io.stunet.kafka.TopicDump.records;
import static io.stunet.kafka.KafkaTestSupport.submitted;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rolling upgrade on one real topic: records of the previous release (no "minor"), of a
 * release one minor ahead (extra fields), and of one major ahead, consumed by this build's
 * {@link StageConsumer}; and what this build writes read back by the previous release's
 * strict rules (unknown fields refused, version exactly 1).
 */
class RollingUpgradeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void minorAheadIsProcessedMajorAheadIsDeadLetteredAndOurOutputStaysReadableByThePreviousRelease() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            String bootstrap = kafka.bootstrapServers();
            TopicCreator.ensure(bootstrap, Topics.all(1, 1, (short) 1), Duration.ofSeconds(30));
            String topic = "test.upgrade";
            createTopic(bootstrap, topic, 1);

            CaseSubmitted previous = submitted(400);
            CaseSubmitted minorAhead = submitted(401);
            CaseSubmitted majorAhead = submitted(402);
            byte[] previousBytes = RecordCodec.encode(previous);
            ObjectNode minorDoc = (ObjectNode) JSON.readTree(RecordCodec.encode(minorAhead));
            minorDoc.put("minor", 3);
            minorDoc.put("priority", "urgent");
            ((ObjectNode) minorDoc.get("input")).put("storageClass", "STANDARD_IA");
            ObjectNode majorDoc = (ObjectNode) JSON.readTree(RecordCodec.encode(majorAhead));
            majorDoc.put("version", 2);
            majorDoc.remove("inputName");
            majorDoc.set("inputNames", JSON.createArrayNode().add("a.nii.gz"));
            byte[] majorBytes = JSON.writeValueAsBytes(majorDoc);
            produce(bootstrap, topic, 0, previous.caseId(), previousBytes);
            produce(bootstrap, topic, 0, minorAhead.caseId(), JSON.writeValueAsBytes(minorDoc));
            produce(bootstrap, topic, 0, majorAhead.caseId(), majorBytes);

            Vertx vertx = Vertx.vertx();
            try (RecordPublisher publisher = new RecordPublisher(vertx, bootstrap, Map.of())) {
                Map<String, CaseSubmitted> handled = new ConcurrentHashMap<>();
                StageConsumer<CaseSubmitted> stage = new StageConsumer<>(vertx, CaseSubmitted.class,
                        new StageOptions().setStage("upgrade").setTopic(topic).setBootstrap(bootstrap), in -> {
                            handled.put(in.value().caseId(), in.value());
                            return Future.succeededFuture(List.of(Outbound.status(
                                    CaseStatus.of(in.value().caseId(), CaseState.PREPROCESSING, 0.1, "upgrade"))));
                        }, publisher);
                stage.start();
                await("all three records done", Duration.ofSeconds(30), () -> committed(bootstrap, new TopicPartition(topic, 0)) == 3);
                stage.stop().await(30, TimeUnit.SECONDS);

                assertEquals(Map.of(previous.caseId(), previous, minorAhead.caseId(), minorAhead), handled,
                        "the previous release's record and the minor-ahead one (extra fields dropped) reach the handler");

                List<DeadLetter> letters = records(bootstrap, Topics.DLQ).stream()
                        .map(r -> RecordCodec.decode(r.value(), DeadLetter.class)).toList();
                assertEquals(1, letters.size());
                DeadLetter letter = letters.get(0);
                assertEquals(majorAhead.caseId(), letter.caseId(), "the case is told by the record key");
                assertEquals(ErrorCode.UNSUPPORTED_RECORD_VERSION, letter.errorCode());
                assertTrue(letter.errorMessage().contains("major version 2 of stunet.case.submitted"), letter.errorMessage());
                assertArrayEquals(majorBytes, letter.originalValue(), "replayable after the consumers are upgraded");

                Map<String, CaseStatus> statuses = records(bootstrap, Topics.STATUS).stream()
                        .map(r -> RecordCodec.decode(r.value(), CaseStatus.class))
                        .collect(Collectors.toMap(CaseStatus::caseId, s -> s, (a, b) -> b));
                assertEquals(CaseState.FAILED, statuses.get(majorAhead.caseId()).state());
                assertEquals(ErrorCode.UNSUPPORTED_RECORD_VERSION, statuses.get(majorAhead.caseId()).errorCode());

                // The other direction: what this build published for the processed cases, read
                // by consumers still on the previous release.
                Set<String> processed = Set.of(previous.caseId(), minorAhead.caseId());
                int readByPrevious = 0;
                for (ConsumerRecord<String, byte[]> r : records(bootstrap, Topics.STATUS)) {
                    if (processed.contains(r.key())) {
                        CaseStatus s = previousReleaseDecode(r.value(), CaseStatus.class);
                        assertEquals(CaseState.PREPROCESSING, s.state());
                        readByPrevious++;
                    }
                }
                assertEquals(2, readByPrevious);
                assertEquals(previous, previousReleaseDecode(RecordCodec.encode(previous), CaseSubmitted.class));
            } finally {
                vertx.close().await(30, TimeUnit.SECONDS);
            }
        }
    }

    private static long committed(String bootstrap, TopicPartition tp) {
        try {
            return KafkaTestSupport.committed(bootstrap, "stunet-upgrade", tp);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The decoding rules of releases before minor versions: unknown fields refused, version exactly 1. */
    private static <T> T previousReleaseDecode(byte[] bytes, Class<T> type) throws Exception {
        ObjectMapper strict = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES).build();
        ObjectNode doc = (ObjectNode) strict.readTree(bytes);
        JsonNode version = doc.remove("version");
        doc.remove("schema");
        assertEquals(1, version.asInt());
        return strict.treeToValue(doc, type);
    }
}
