package io.stunet.kafka;

import io.stunet.broker.EmbeddedKafka;

import io.stunet.topics.TopicCreator;
import io.stunet.topics.TopicSpec;
import io.stunet.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbeddedKafkaTest {
    @TempDir
    Path dir;

    @Test
    void restartWithSameDirectoryKeepsTopicsRecordsAndCommittedOffsets() throws Exception {
        List<TopicSpec> specs = Topics.all(2, 3, (short) 1);
        Set<String> names = specs.stream().map(TopicSpec::name).collect(Collectors.toSet());
        TopicPartition tp = new TopicPartition(Topics.CASE_SUBMITTED, 0);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            assertEquals(names, Set.copyOf(TopicCreator.ensure(kafka.bootstrapServers(), specs, Duration.ofSeconds(30))));
            assertEquals(List.of(), TopicCreator.ensure(kafka.bootstrapServers(), specs, Duration.ofSeconds(30)),
                    "second creation is a no-op");
            try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers())) {
                for (int i = 0; i < 5; i++) {
                    producer.send(new ProducerRecord<>(tp.topic(), tp.partition(), "k" + i, "v" + i)).get();
                }
            }
            try (KafkaConsumer<String, String> consumer = consumer(kafka.bootstrapServers())) {
                consumer.subscribe(List.of(tp.topic()));
                List<ConsumerRecord<String, String>> got = pollAtLeast(consumer, 3);
                consumer.commitSync(Map.of(tp, new OffsetAndMetadata(3)));
                assertTrue(got.size() >= 3);
            }
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                assertTrue(admin.listTopics().names().get().containsAll(names));
                Map<String, TopicDescription> d = admin.describeTopics(List.of(Topics.TILE_REQUESTED)).allTopicNames().get();
                assertEquals(3, d.get(Topics.TILE_REQUESTED).partitions().size());
                ConfigResource status = new ConfigResource(ConfigResource.Type.TOPIC, Topics.STATUS);
                ConfigEntry policy = admin.describeConfigs(List.of(status)).all().get().get(status).get("cleanup.policy");
                assertEquals("compact", policy.value());
            }
            try (KafkaConsumer<String, String> consumer = consumer(kafka.bootstrapServers())) {
                consumer.subscribe(List.of(tp.topic()));
                List<ConsumerRecord<String, String>> got = pollAtLeast(consumer, 2);
                assertEquals(List.of("k3", "k4"), got.stream().map(ConsumerRecord::key).toList(),
                        "the group resumes after the offset committed before the restart");
            }
        }
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "restart-test");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    }

    private static List<ConsumerRecord<String, String>> pollAtLeast(KafkaConsumer<String, String> c, int n) {
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (out.size() < n && System.nanoTime() < deadline) {
            c.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        assertTrue(out.size() >= n, "received " + out.size() + " of " + n);
        return out;
    }
}
