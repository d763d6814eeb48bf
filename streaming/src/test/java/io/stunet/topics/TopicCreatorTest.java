package io.stunet.topics;

import io.stunet.broker.EmbeddedKafka;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsResult;
import org.apache.kafka.clients.admin.ForwardingAdmin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.internals.KafkaFutureImpl;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TopicCreator#ensure} against a real broker, with the broker's answers to
 * {@code describeTopics} delayed or stripped of leaders the way a loaded cluster answers
 * right after {@code createTopics}: ensure must wait (bounded) until every partition is led.
 */
class TopicCreatorTest {
    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    @Test
    void ensureReturnsOnlyOnceTheCreatedTopicsAreVisibleWithLeaders() throws Exception {
        List<TopicSpec> specs = List.of(new TopicSpec("wait.a", 3, (short) 1, Map.of()),
                new TopicSpec("wait.b", 2, (short) 1, Map.of("cleanup.policy", "compact")));
        AtomicInteger describes = new AtomicInteger();
        // The first three rounds answer as a broker that has not seen the new topics yet.
        try (DelayingAdmin admin = new DelayingAdmin(kafka.bootstrapServers(), UnaryOperator.identity(), 3, describes)) {
            List<String> created = new TopicCreator(admin, Duration.ofSeconds(30)).ensure(specs);
            assertEquals(Set.of("wait.a", "wait.b"), Set.copyOf(created));
            assertTrue(describes.get() >= 4, "ensure described again until the topics were visible: " + describes.get());
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (TopicSpec s : specs) {
                for (int part = 0; part < s.partitions(); part++) {
                    assertEquals(part, producer.send(new ProducerRecord<>(s.name(), part, "k", "v")).get().partition());
                }
            }
        }
    }

    @Test
    void topicsWhosePartitionsNeverGetALeaderFailAfterTheTimeoutWithBrokerFailure() {
        List<TopicSpec> specs = List.of(new TopicSpec("leaderless", 2, (short) 1, Map.of()));
        AtomicInteger describes = new AtomicInteger();
        UnaryOperator<TopicDescription> noLeader = d -> new TopicDescription(d.name(), d.isInternal(),
                d.partitions().stream().map(tp -> new TopicPartitionInfo(tp.partition(), null, tp.replicas(), tp.isr())).toList());
        long t0 = System.nanoTime();
        try (DelayingAdmin admin = new DelayingAdmin(kafka.bootstrapServers(), noLeader, Integer.MAX_VALUE, describes)) {
            StunetException e = assertThrows(StunetException.class,
                    () -> new TopicCreator(admin, Duration.ofMillis(1500)).ensure(specs));
            assertEquals(ErrorCode.BROKER_FAILURE, e.code());
            assertTrue(e.getMessage().contains("[leaderless] have no leader"), e.getMessage());
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(millis >= 1400 && millis < 10_000, "bounded by the timeout: " + millis + " ms");
        assertTrue(describes.get() >= 3, "retried with backoff: " + describes.get());
    }

    @Test
    void existingTopicsAreLeftAloneAndStillAwaited() {
        List<TopicSpec> specs = List.of(new TopicSpec("again", 1, (short) 1, Map.of()));
        assertEquals(List.of("again"), TopicCreator.ensure(kafka.bootstrapServers(), specs, Duration.ofSeconds(30)));
        assertEquals(List.of(), TopicCreator.ensure(kafka.bootstrapServers(), specs, Duration.ofSeconds(30)));
    }

    /**
     * The real admin client, except that for the first {@code hidden} rounds describeTopics
     * reports every topic unknown, and afterwards passes descriptions through {@code rewrite}
     * ({@code null} from it means "unknown" as well).
     */
    private static final class DelayingAdmin extends ForwardingAdmin {
        private final UnaryOperator<TopicDescription> rewrite;
        private final int hidden;
        private final AtomicInteger calls;

        DelayingAdmin(String bootstrap, UnaryOperator<TopicDescription> rewrite, int hidden, AtomicInteger calls) {
            super(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
            this.rewrite = rewrite;
            this.hidden = hidden;
            this.calls = calls;
        }

        @Override
        public DescribeTopicsResult describeTopics(TopicCollection topics, DescribeTopicsOptions options) {
            int call = calls.incrementAndGet();
            Map<String, KafkaFuture<TopicDescription>> real = super.describeTopics(topics, options).topicNameValues();
            Map<String, KafkaFuture<TopicDescription>> answered = new HashMap<>();
            real.forEach((name, future) -> {
                KafkaFutureImpl<TopicDescription> f = new KafkaFutureImpl<>();
                future.whenComplete((d, err) -> {
                    TopicDescription shown = err != null || call <= hidden ? null : rewrite.apply(d);
                    if (err != null) {
                        f.completeExceptionally(err);
                    } else if (shown == null) {
                        f.completeExceptionally(new UnknownTopicOrPartitionException("not visible yet: " + name));
                    } else {
                        f.complete(shown);
                    }
                });
                answered.put(name, f);
            });
            return new DescribeTopicsResult(null, answered) {
            };
        }
    }
}
