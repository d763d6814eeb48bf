package io.stunet.kafka;

import io.stunet.broker.EmbeddedKafka;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.CaseSubmitted;
import io.stunet.records.DeadLetter;
import io.stunet.records.RecordCodec;
import io.stunet.records.StunetRecord;
import io.stunet.topics.TopicCreator;
import io.stunet.topics.Topics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static io.stunet.kafka.KafkaTestSupport.await;
import static io.stunet.kafka.KafkaTestSupport.createTopic;
import static io.stunet.kafka.KafkaTestSupport.produce;
import static io.stunet.kafka.TopicDump.records;
import static io.stunet.kafka.KafkaTestSupport.submitted;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stage consumer loop against a real embedded broker. */
class StageConsumerTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    static EmbeddedKafka kafka;
    static Vertx vertx;
    static RecordPublisher publisher;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        TopicCreator.ensure(kafka.bootstrapServers(), Topics.all(2, 2, (short) 1), Duration.ofSeconds(30));
        vertx = Vertx.vertx();
        publisher = new RecordPublisher(vertx, kafka.bootstrapServers(), Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        publisher.close();
        vertx.close().await(30, TimeUnit.SECONDS);
        kafka.close();
    }

    private static StageOptions options(String topic, String group) {
        return new StageOptions().setStage("test").setTopic(topic).setGroupId(group)
                .setBootstrap(kafka.bootstrapServers()).setRetryBackoff(Duration.ofMillis(20));
    }

    private static long committed(String group, TopicPartition tp) {
        try {
            return KafkaTestSupport.committed(kafka.bootstrapServers(), group, tp);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static <R extends StunetRecord> List<R> recordsOf(String topic, Class<R> type, Set<String> caseIds) {
        return records(kafka.bootstrapServers(), topic).stream().map(r -> RecordCodec.decode(r.value()))
                .filter(type::isInstance).map(type::cast).filter(r -> caseIds.contains(r.caseId())).toList();
    }

    @Test
    void offsetsAreCommittedOnlyPastRecordsWhoseEffectIsDurable() throws Exception {
        String topic = "test.commit";
        createTopic(kafka.bootstrapServers(), topic, 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        List<CaseSubmitted> inputs = List.of(submitted(100), submitted(101), submitted(102));
        for (CaseSubmitted c : inputs) {
            produce(kafka.bootstrapServers(), topic, 0, c);
        }
        Map<Long, Promise<List<Outbound>>> held = new ConcurrentHashMap<>();
        StageConsumer<CaseSubmitted> stage = new StageConsumer<>(vertx, CaseSubmitted.class, options(topic, "g-commit"), in -> {
            Promise<List<Outbound>> p = Promise.promise();
            held.put(in.offset(), p);
            return p.future();
        }, publisher);
        stage.start();
        await("all three dispatched", WAIT, () -> held.size() == 3);
        Thread.sleep(300);
        assertEquals(-1, committed("g-commit", tp), "nothing is committed while every handler is pending");

        // Finishing the later records first must not move the commit past the unfinished first one.
        Set<String> ids = inputs.stream().map(CaseSubmitted::caseId).collect(Collectors.toSet());
        for (long off : List.of(2L, 1L)) {
            CaseSubmitted c = inputs.get((int) off);
            held.get(off).complete(List.of(Outbound.status(CaseStatus.of(c.caseId(), CaseState.PREPROCESSING, 0.1, "test"))));
        }
        await("two status records published", WAIT, () -> recordsOf(Topics.STATUS, CaseStatus.class, ids).size() == 2);
        Thread.sleep(300);
        assertEquals(-1, committed("g-commit", tp));

        held.get(0L).complete(List.of(Outbound.status(CaseStatus.of(inputs.get(0).caseId(), CaseState.PREPROCESSING, 0.1, "test"))));
        await("commit past all three", WAIT, () -> committed("g-commit", tp) == 3);
        assertEquals(ids, recordsOf(Topics.STATUS, CaseStatus.class, ids).stream().map(CaseStatus::caseId).collect(Collectors.toSet()),
                "every downstream record is on the broker once its input is committed");
        stage.stop().await(30, TimeUnit.SECONDS);
    }

    @Test
    void failuresGoToTheDeadLetterTopicWithFailedStatusAndTheStageCarriesOn() throws Exception {
        String topic = "test.dlq";
        createTopic(kafka.bootstrapServers(), topic, 1);
        CaseSubmitted bad = submitted(200);
        CaseSubmitted flaky = submitted(201);
        CaseSubmitted broken = submitted(202);
        CaseSubmitted good = submitted(203);
        String garbledCase = submitted(204).caseId();
        byte[] garbled = "{\"schema\":\"stunet.case.submitted\",\"version\":1,".getBytes(StandardCharsets.UTF_8);
        produce(kafka.bootstrapServers(), topic, 0, garbledCase, garbled);
        for (CaseSubmitted c : List.of(bad, flaky, broken, good)) {
            produce(kafka.bootstrapServers(), topic, 0, c);
        }
        Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
        List<String> succeeded = new CopyOnWriteArrayList<>();
        StageOptions opts = options(topic, "g-dlq").setMaxRetries(2);
        StageConsumer<CaseSubmitted> stage = new StageConsumer<>(vertx, CaseSubmitted.class, opts, in -> {
            String id = in.value().caseId();
            int n = attempts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            assertEquals(n, in.attempt());
            if (id.equals(bad.caseId())) {
                return Future.failedFuture(new StunetException(ErrorCode.INVALID_NIFTI, "bad magic"));
            }
            if (id.equals(flaky.caseId()) && n < 3) {
                return Future.failedFuture(new StunetException(ErrorCode.STORE_FAILURE, "store hiccup"));
            }
            if (id.equals(broken.caseId())) {
                throw new StunetException(ErrorCode.ENGINE_FAILURE, "device lost");
            }
            succeeded.add(id);
            return Future.succeededFuture(List.of());
        }, publisher);
        stage.start();
        TopicPartition tp = new TopicPartition(topic, 0);
        await("all five records done", WAIT, () -> committed("g-dlq", tp) == 5);

        assertEquals(Set.of(flaky.caseId(), good.caseId()), Set.copyOf(succeeded));
        assertEquals(2, succeeded.size());
        assertEquals(1, attempts.get(bad.caseId()).get(), "non-retriable codes are not retried");
        assertEquals(3, attempts.get(flaky.caseId()).get(), "retriable codes are retried until they succeed");
        assertEquals(3, attempts.get(broken.caseId()).get(), "retries are bounded: 1 + maxRetries attempts");

        Set<String> failedIds = Set.of(garbledCase, bad.caseId(), broken.caseId());
        Map<String, DeadLetter> letters = recordsOf(Topics.DLQ, DeadLetter.class, failedIds).stream()
                .collect(Collectors.toMap(DeadLetter::caseId, d -> d));
        assertEquals(failedIds, letters.keySet());
        DeadLetter g = letters.get(garbledCase);
        assertEquals(ErrorCode.INVALID_RECORD, g.errorCode());
        assertArrayEquals(garbled, g.originalValue(), "the dead letter carries the original bytes");
        assertEquals(topic, g.originalTopic());
        assertEquals(0, g.originalOffset());
        assertEquals("test", g.stage());
        DeadLetter b = letters.get(bad.caseId());
        assertEquals(ErrorCode.INVALID_NIFTI, b.errorCode());
        assertEquals("bad magic", b.errorMessage());
        assertArrayEquals(RecordCodec.encode(bad), b.originalValue());
        assertEquals(1, b.originalOffset());
        DeadLetter e = letters.get(broken.caseId());
        assertEquals(ErrorCode.ENGINE_FAILURE, e.errorCode());
        assertEquals(3, e.attempts());

        Map<String, CaseStatus> statuses = recordsOf(Topics.STATUS, CaseStatus.class, failedIds).stream()
                .collect(Collectors.toMap(CaseStatus::caseId, s -> s));
        assertEquals(failedIds, statuses.keySet());
        for (String id : failedIds) {
            CaseStatus s = statuses.get(id);
            assertEquals(CaseState.FAILED, s.state());
            assertEquals(letters.get(id).errorCode(), s.errorCode());
            assertEquals(letters.get(id).errorMessage(), s.errorMessage());
        }
        assertEquals(List.of(), recordsOf(Topics.DLQ, DeadLetter.class, Set.of(flaky.caseId(), good.caseId())));
        stage.stop().await(30, TimeUnit.SECONDS);
    }

    @Test
    void slowHandlerPausesPartitionsWithoutLeavingTheGroup() throws Exception {
        String topic = "test.backpressure";
        createTopic(kafka.bootstrapServers(), topic, 3);
        int n = 12;
        for (int i = 0; i < n; i++) {
            produce(kafka.bootstrapServers(), topic, i % 3, submitted(300 + i));
        }
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        AtomicInteger maxPaused = new AtomicInteger();
        AtomicBoolean room = new AtomicBoolean(true);
        List<String> handled = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger dispatchedWhileFull = new AtomicInteger();
        // A record whose dispatch was already decided when the intake closes may still start; what
        // must never happen is a dispatch once the closed intake has drained.
        AtomicBoolean fullAndDrained = new AtomicBoolean();
        StageOptions opts = options(topic, "g-bp").setMaxInFlight(2).setCapacity(room::get)
                // Far below the run time: without polling during the pause the group would evict us.
                .putConsumerProperty(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 1500)
                .putConsumerProperty(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000)
                .putConsumerProperty(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
        java.util.concurrent.atomic.AtomicReference<StageConsumer<CaseSubmitted>> ref = new java.util.concurrent.atomic.AtomicReference<>();
        StageConsumer<CaseSubmitted> stage = new StageConsumer<>(vertx, CaseSubmitted.class, opts, in -> {
            if (fullAndDrained.get()) {
                dispatchedWhileFull.incrementAndGet();
            }
            int c = concurrent.incrementAndGet();
            maxConcurrent.accumulateAndGet(c, Math::max);
            Promise<List<Outbound>> p = Promise.promise();
            vertx.setTimer(700, id -> {
                maxPaused.accumulateAndGet(ref.get().pausedPartitions(), Math::max);
                concurrent.decrementAndGet();
                handled.add(in.value().caseId());
                p.complete(List.of());
            });
            return p.future();
        }, publisher);
        ref.set(stage);
        stage.start();
        stage.assigned().await(30, TimeUnit.SECONDS);
        await("four records handled", WAIT, () -> handled.size() >= 4);
        // The capacity callback closes the intake for longer than max.poll.interval.ms.
        room.set(false);
        await("in-flight drained", WAIT, () -> stage.inFlight() == 0);
        fullAndDrained.set(true);
        int before = handled.size();
        Thread.sleep(2500);
        assertEquals(before, handled.size(), "nothing is dispatched while the capacity callback says no");
        assertEquals(3, stage.pausedPartitions(), "all assigned partitions are paused while full");
        fullAndDrained.set(false);
        room.set(true);
        await("all handled", WAIT, () -> handled.size() == n);
        for (int p = 0; p < 3; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            await("partition committed", WAIT, () -> committed("g-bp", tp) == n / 3);
        }
        assertEquals(0, dispatchedWhileFull.get());
        assertEquals(2, maxConcurrent.get(), "in-flight never exceeds the bound");
        assertTrue(maxPaused.get() > 0, "partitions were paused while handlers were busy");
        assertEquals(n, Set.copyOf(handled).size(), "no record was redelivered");
        assertEquals(1, stage.rebalances(), "one assignment, no eviction or rebalance");
        assertTrue(stage.isRunning());
        stage.stop().await(30, TimeUnit.SECONDS);
    }

    @Test
    void recordsInFlightWhenAConsumerDiesAreRedeliveredToTheNextOne() throws Exception {
        String topic = "test.crash";
        createTopic(kafka.bootstrapServers(), topic, 1);
        List<CaseSubmitted> inputs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            inputs.add(submitted(400 + i));
            produce(kafka.bootstrapServers(), topic, 0, inputs.get(i));
        }
        List<Long> firstRun = new CopyOnWriteArrayList<>();
        StageConsumer<CaseSubmitted> crashing = new StageConsumer<>(vertx, CaseSubmitted.class,
                options(topic, "g-crash").setMaxInFlight(5), in -> {
            firstRun.add(in.offset());
            // The first three finish; the last two hang as if the process died mid-work.
            return in.offset() < 3 ? Future.succeededFuture(List.of()) : Promise.<List<Outbound>>promise().future();
        }, publisher);
        crashing.start();
        TopicPartition tp = new TopicPartition(topic, 0);
        await("first three committed", WAIT, () -> committed("g-crash", tp) == 3);
        await("all five dispatched", WAIT, () -> firstRun.size() == 5);
        crashing.stop(Duration.ZERO).await(30, TimeUnit.SECONDS);
        assertEquals(3, committed("g-crash", tp), "hung records are released, not committed");

        List<Long> secondRun = new CopyOnWriteArrayList<>();
        StageConsumer<CaseSubmitted> next = new StageConsumer<>(vertx, CaseSubmitted.class, options(topic, "g-crash"), in -> {
            secondRun.add(in.offset());
            return Future.succeededFuture(List.of());
        }, publisher);
        next.start();
        await("redelivered records committed", WAIT, () -> committed("g-crash", tp) == 5);
        assertEquals(List.of(3L, 4L), secondRun, "exactly the unfinished records come back");
        next.stop().await(30, TimeUnit.SECONDS);
    }

    @Test
    void gracefulStopWaitsForInFlightWork() throws Exception {
        String topic = "test.stop";
        createTopic(kafka.bootstrapServers(), topic, 1);
        for (int i = 0; i < 3; i++) {
            produce(kafka.bootstrapServers(), topic, 0, submitted(500 + i));
        }
        AtomicInteger started = new AtomicInteger();
        StageConsumer<CaseSubmitted> stage = new StageConsumer<>(vertx, CaseSubmitted.class, options(topic, "g-stop"), in -> {
            started.incrementAndGet();
            Promise<List<Outbound>> p = Promise.promise();
            vertx.setTimer(800, id -> p.complete(List.of()));
            return p.future();
        }, publisher);
        stage.start();
        await("all dispatched", WAIT, () -> started.get() == 3);
        stage.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
        assertEquals(3, committed("g-stop", new TopicPartition(topic, 0)), "in-flight work finished and was committed");
        assertTrue(!stage.isRunning());
    }
}
