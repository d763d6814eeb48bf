package io.stunet.kafka;

import io.stunet.records.BlobRef;
import io.stunet.records.CaseIds;
import io.stunet.config.StunetConfig;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.CaseSubmitted;
import io.stunet.topics.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.stunet.records.RecordCodec;
import io.stunet.records.StunetRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Plain Kafka client helpers for tests against the embedded broker. */
final class KafkaTestSupport {
    private KafkaTestSupport() {
    }

    static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        }
    }

    static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    static CaseSubmitted submitted(int i) {
        String sha = String.format("%064x", i);
        String caseId = CaseIds.derive(sha, "ab".repeat(32), Map.of());
        return new CaseSubmitted(caseId, new BlobRef("cases/" + caseId + "/input.nii.gz", 10, sha),
                "case" + i + ".nii.gz", "ab".repeat(32), Map.of(), 0);
    }

    static void produce(String bootstrap, String topic, Integer partition, String key, byte[] value) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, partition, key, value)).get();
        }
    }

    static void produce(String bootstrap, String topic, Integer partition, StunetRecord record) throws Exception {
        produce(bootstrap, topic, partition, Outbound.of(topic, record).key(), RecordCodec.encode(record));
    }

    /** The group's committed offset of a partition, or -1. */
    static long committed(String bootstrap, String group, TopicPartition tp) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            Map<TopicPartition, OffsetAndMetadata> m = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            OffsetAndMetadata om = m.get(tp);
            return om == null ? -1 : om.offset();
        }
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    /**
     * A runtime on {@code config} (topic creation included), a stage that answers each
     * submission with a PREPROCESSING status, and the status view: publishes one case and waits
     * until the view shows the stage's status, i.e. a record went through publisher, stage
     * consumer and view.
     */
    static void carryOneCase(StunetConfig config, String name, int i) throws Exception {
        Vertx vertx = Vertx.vertx();
        try (StreamingRuntime runtime = StreamingRuntime.start(vertx, config, name, null)) {
            StageConsumer<CaseSubmitted> stage = runtime.stage(name, Topics.CASE_SUBMITTED, CaseSubmitted.class,
                    in -> Future.succeededFuture(List.of(Outbound.status(
                            CaseStatus.of(in.value().caseId(), CaseState.PREPROCESSING, 0.1, name)))), null);
            stage.start();
            try (CaseStatusView view = runtime.statusView().start()) {
                CaseSubmitted c = submitted(i);
                runtime.publisher().publish(Outbound.of(Topics.CASE_SUBMITTED, c)).await(30, TimeUnit.SECONDS);
                await("the stage's status through " + name, Duration.ofSeconds(60),
                        () -> view.get(c.caseId()).map(st -> st.state() == CaseState.PREPROCESSING).orElse(false));
            }
            stage.stop().await(30, TimeUnit.SECONDS);
        } finally {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }
}
