package io.stunet.kafka;

import io.stunet.broker.EmbeddedKafka;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.CaseSubmitted;
import io.stunet.topics.TopicCreator;
import io.stunet.topics.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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

import static io.stunet.kafka.KafkaTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stage keeps working across a restart of the embedded broker on the same data directory. */
class BrokerRestartTest {
    @TempDir
    Path dir;

    @Test
    void aStageResumesAfterTheBrokerRestartsWithTheSameDirectory() throws Exception {
        Vertx vertx = Vertx.vertx();
        EmbeddedKafka kafka = EmbeddedKafka.start(dir);
        String bootstrap = kafka.bootstrapServers();
        TopicCreator.ensure(bootstrap, Topics.all(1, 1, (short) 1), Duration.ofSeconds(30));
        RecordPublisher publisher = new RecordPublisher(vertx, bootstrap, Map.of());
        Set<String> handled = ConcurrentHashMap.newKeySet();
        StageConsumer<CaseSubmitted> stage = new StageConsumer<>(vertx, CaseSubmitted.class,
                new StageOptions().setStage("restart").setTopic(Topics.CASE_SUBMITTED).setBootstrap(bootstrap), in -> {
            handled.add(in.value().caseId());
            return Future.succeededFuture(List.of(Outbound.status(
                    CaseStatus.of(in.value().caseId(), CaseState.PREPROCESSING, 0.1, "restart"))));
        }, publisher);
        try {
            stage.start();
            for (int i = 0; i < 5; i++) {
                publisher.publish(Outbound.of(Topics.CASE_SUBMITTED, KafkaTestSupport.submitted(600 + i))).await(30, TimeUnit.SECONDS);
            }
            TopicPartition tp = new TopicPartition(Topics.CASE_SUBMITTED, 0);
            await("first five committed", Duration.ofSeconds(60),
                    () -> committed(bootstrap, "stunet-restart", tp) == 5);

            kafka.close();
            kafka = EmbeddedKafka.start(dir);
            assertEquals(bootstrap, kafka.bootstrapServers(), "the restarted broker listens where it did");
            for (int i = 5; i < 10; i++) {
                publisher.publish(Outbound.of(Topics.CASE_SUBMITTED, KafkaTestSupport.submitted(600 + i))).await(60, TimeUnit.SECONDS);
            }
            await("all ten committed", Duration.ofSeconds(90), () -> committed(bootstrap, "stunet-restart", tp) == 10);
            assertEquals(10, handled.size());
            assertTrue(stage.isRunning());
            long statuses = TopicDump.records(bootstrap, Topics.STATUS).size();
            assertTrue(statuses >= 10, "status records from before and after the restart: " + statuses);
        } finally {
            stage.stop().await(60, TimeUnit.SECONDS);
            publisher.close();
            vertx.close().await(30, TimeUnit.SECONDS);
            kafka.close();
        }
    }

    private static long committed(String bootstrap, String group, TopicPartition tp) {
        try {
            return KafkaTestSupport.committed(bootstrap, group, tp);
        } catch (Exception e) {
            return -2;
        }
    }
}
