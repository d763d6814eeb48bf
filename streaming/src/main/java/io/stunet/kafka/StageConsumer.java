package io.stunet.kafka;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.records.CaseIds;
import io.stunet.records.CaseStatus;
import io.stunet.records.DeadLetter;
import io.stunet.records.RecordCodec;
import io.stunet.records.StunetRecord;
import io.stunet.records.TileKey;
import io.stunet.topics.Topics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer loop every pipeline stage runs: it polls one topic, hands each decoded record
 * to a {@link StageHandler} on a Vert.x context, publishes the handler's downstream records,
 * and commits a partition's offset only past records whose effect is durable (at-least-once).
 *
 * <p>Kafka's consumer is not thread-safe and must be polled regularly or the group evicts it
 * after {@code max.poll.interval.ms}, so it lives on one dedicated thread that polls every
 * {@code pollTimeout} whatever the handlers do. Backpressure pauses the assigned
 * <em>partitions</em> while the in-flight bound is reached or the capacity callback says no,
 * and resumes them when room returns; polling (and with it group membership) never stops.
 *
 * <p>A handler failure with a retriable code is retried with exponential backoff up to
 * {@code maxRetries} times; after that, or for any other failure, the original record goes
 * to {@code stunet.dlq} as a {@link DeadLetter} and the case status becomes FAILED with the
 * code and message. Only then is the record counted as done, and the stage carries on.
 *
 * <p>Handlers finish out of order; each partition commits up to its first unfinished
 * record, so a crash redelivers exactly the records whose effects may be missing.
 */
public final class StageConsumer<T extends StunetRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(StageConsumer.class);

    private final Vertx vertx;
    private final Class<T> type;
    private final StageOptions options;
    private final StageHandler<T> handler;
    private final RecordPublisher publisher;
    private final String stage;

    /* Poll-thread state. */
    private final Map<TopicPartition, PartitionLedger> ledgers = new HashMap<>();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final Set<TopicPartition> paused = new HashSet<>();
    private long epochs;
    private long lastCommitNanos;
    private KafkaConsumer<String, byte[]> consumer;
    private boolean stopping;
    private long stopDeadlineNanos;

    /* Shared with handlers and metrics. */
    private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger pausedCount = new AtomicInteger();
    private final AtomicLong lag = new AtomicLong();
    private final AtomicLong rebalances = new AtomicLong();
    private volatile boolean running;
    private volatile int released;
    private volatile boolean stopRequested;
    private volatile long requestedGraceNanos;
    private final Promise<Void> stopped = Promise.promise();
    private final Promise<Void> firstAssignment = Promise.promise();
    private Context context;
    private Thread thread;

    private final Counter succeeded;
    private final Counter deadLettered;
    private final Counter retried;
    private final Timer latency;

    public StageConsumer(Vertx vertx, Class<T> type, StageOptions options, StageHandler<T> handler,
                         RecordPublisher publisher) {
        options.validate();
        this.vertx = vertx;
        this.type = type;
        this.options = options;
        this.handler = handler;
        this.publisher = publisher;
        this.stage = options.getStage();
        MeterRegistry reg = options.getRegistry() != null ? options.getRegistry() : new SimpleMeterRegistry();
        Gauge.builder("stunet_stage_in_flight", inFlight, AtomicInteger::get)
                .description("records being handled").tag("stage", stage).register(reg);
        Gauge.builder("stunet_stage_paused_partitions", pausedCount, AtomicInteger::get)
                .description("assigned partitions paused by backpressure").tag("stage", stage).register(reg);
        Gauge.builder("stunet_stage_consumer_lag", lag, AtomicLong::get)
                .description("records behind the end of the assigned partitions").tag("stage", stage).register(reg);
        // Cumulative, so a counter: Prometheus sees stunet_stage_rebalances_total and increase() works.
        FunctionCounter.builder("stunet_stage_rebalances", rebalances, AtomicLong::get)
                .description("partition assignments and revocations seen").tag("stage", stage).register(reg);
        this.succeeded = Counter.builder("stunet_stage_records").tag("stage", stage).tag("outcome", "ok").register(reg);
        this.deadLettered = Counter.builder("stunet_stage_records").tag("stage", stage).tag("outcome", "dead_letter").register(reg);
        this.retried = Counter.builder("stunet_stage_retries").tag("stage", stage).register(reg);
        this.latency = Timer.builder("stunet_stage_latency").description("time from dispatch to durable effect")
                .tag("stage", stage).publishPercentileHistogram().register(reg);
    }

    /**
     * Starts polling. Handlers run on the context of the caller (the deploying verticle's,
     * when called from {@code start}). Succeeds once the consumer has subscribed.
     */
    public Future<Void> start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        context = vertx.getOrCreateContext();
        Properties p = new Properties();
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putAll(options.getClientProperties());
        // Fetched records wait on the heap until dispatched: at most 2 x the in-flight bound.
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, options.getMaxInFlight());
        p.putAll(options.getConsumerProperties());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.getBootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, options.getGroupId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        running = true;
        thread = new Thread(this::run, "stunet-" + stage + "-consumer");
        thread.setDaemon(true);
        thread.start();
        return Future.succeededFuture();
    }

    /** Graceful stop with the configured grace period. */
    public Future<Void> stop() {
        return stop(options.getShutdownGrace());
    }

    /**
     * Stops fetching, waits up to {@code grace} for in-flight records, commits what is done
     * and closes the consumer. Records still in flight after the grace period are released:
     * not committed, so the group redelivers them.
     */
    public Future<Void> stop(Duration grace) {
        if (thread == null) {
            return Future.succeededFuture();
        }
        requestedGraceNanos = grace.toNanos();
        stopRequested = true;
        return stopped.future();
    }

    /** Succeeds when the group first assigns partitions to this consumer (useful in tests and readiness). */
    public Future<Void> assigned() {
        return firstAssignment.future();
    }

    /** Whether the poll loop is alive; false after stop or a fatal consumer error. */
    public boolean isRunning() {
        return running;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Records whose handlers were still running when the consumer stopped (grace period over):
     * left uncommitted, so the group redelivers them. Zero until the consumer has stopped.
     */
    public int released() {
        return released;
    }

    public int pausedPartitions() {
        return pausedCount.get();
    }

    /** Assignments plus revocations seen; stays at one assignment when no consumer is evicted. */
    public long rebalances() {
        return rebalances.get();
    }

    private void run() {
        Throwable failure = null;
        try {
            consumer.subscribe(List.of(options.getTopic()), new Rebalance());
            while (true) {
                drainCompletions();
                if (stopRequested && !stopping) {
                    beginStop();
                }
                if (!stopping) {
                    dispatch();
                }
                boolean full = updatePause();
                if (System.nanoTime() - lastCommitNanos >= options.getCommitInterval().toNanos()) {
                    commitDone(ledgers.keySet(), false);
                }
                if (stopping && (inFlight.get() == 0 || System.nanoTime() >= stopDeadlineNanos)) {
                    break;
                }
                if (!pending.isEmpty() || (full && !consumer.assignment().isEmpty())) {
                    // Progress now depends on a handler finishing, not on the network: a
                    // zero-timeout poll keeps the group membership, then wait for a completion.
                    for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ZERO)) {
                        accept(rec);
                    }
                    Completion c = completions.poll(options.getPollTimeout().toNanos(), TimeUnit.NANOSECONDS);
                    if (c != null) {
                        apply(c);
                    }
                } else {
                    for (ConsumerRecord<String, byte[]> rec : consumer.poll(options.getPollTimeout())) {
                        accept(rec);
                    }
                }
                updateLag();
            }
            drainCompletions();
            commitDone(ledgers.keySet(), true);
            released = inFlight.get();
            if (released > 0) {
                LOG.warn("event=stage_released stage={} in_flight={}", stage, released);
            }
        } catch (Throwable t) {
            failure = t;
            LOG.error("event=stage_consumer_failed stage={} error={}", stage, t.toString(), t);
        } finally {
            running = false;
            try {
                consumer.close();
            } catch (RuntimeException e) {
                LOG.warn("event=stage_consumer_close_failed stage={} error={}", stage, e.toString());
            }
            if (failure == null) {
                stopped.tryComplete();
            } else {
                stopped.tryFail(failure);
            }
            firstAssignment.tryFail("consumer stopped");
        }
    }

    private void beginStop() {
        stopping = true;
        stopDeadlineNanos = System.nanoTime() + requestedGraceNanos;
        // Undispatched records stay uncommitted: the next owner of the partition gets them.
        pending.clear();
        LOG.info("event=stage_stopping stage={} in_flight={}", stage, inFlight.get());
    }

    private void accept(ConsumerRecord<String, byte[]> rec) {
        TopicPartition tp = new TopicPartition(rec.topic(), rec.partition());
        PartitionLedger ledger = ledgers.get(tp);
        if (ledger == null || stopping) {
            return;
        }
        ledger.add(rec.offset());
        pending.add(new Pending(rec, tp, ledger.epoch));
    }

    private void dispatch() {
        while (!pending.isEmpty() && inFlight.get() < options.getMaxInFlight() && options.getCapacity().getAsBoolean()) {
            Pending p = pending.poll();
            inFlight.incrementAndGet();
            long started = System.nanoTime();
            context.runOnContext(v -> process(p, started));
        }
    }

    /** Pauses or resumes the assigned partitions; returns whether the stage is full. */
    private boolean updatePause() {
        Set<TopicPartition> assigned = consumer.assignment();
        // Fetching stops once a full in-flight bound of records waits locally, so the next
        // records are at hand when a handler finishes but the heap stays bounded.
        boolean full = stopping || pending.size() >= options.getMaxInFlight() || !options.getCapacity().getAsBoolean();
        if (full) {
            Set<TopicPartition> toPause = new HashSet<>(assigned);
            toPause.removeAll(paused);
            if (!toPause.isEmpty()) {
                consumer.pause(toPause);
                paused.addAll(toPause);
            }
        } else if (!paused.isEmpty()) {
            Set<TopicPartition> toResume = new HashSet<>(paused);
            toResume.retainAll(assigned);
            consumer.resume(toResume);
            paused.clear();
        }
        pausedCount.set(paused.size());
        return full;
    }

    private void drainCompletions() {
        Completion c;
        while ((c = completions.poll()) != null) {
            apply(c);
        }
    }

    private void apply(Completion c) {
        inFlight.decrementAndGet();
        PartitionLedger ledger = ledgers.get(c.tp);
        if (ledger != null && ledger.epoch == c.epoch && c.done) {
            ledger.done(c.offset);
        }
    }

    /**
     * Commits each partition up to its first record that is not done. Periodic commits are
     * asynchronous so a commit round trip never holds up dispatching; on revocation and stop
     * they are synchronous, so the next owner starts exactly after the finished work.
     */
    private void commitDone(Collection<TopicPartition> partitions, boolean sync) {
        lastCommitNanos = System.nanoTime();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : partitions) {
            PartitionLedger ledger = ledgers.get(tp);
            if (ledger != null) {
                long next = ledger.advance();
                if (next > ledger.committed) {
                    offsets.put(tp, new OffsetAndMetadata(next));
                }
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        Map<TopicPartition, PartitionLedger> committedLedgers = new HashMap<>();
        offsets.forEach((tp, om) -> {
            PartitionLedger ledger = ledgers.get(tp);
            ledger.committed = om.offset();
            committedLedgers.put(tp, ledger);
        });
        if (sync) {
            try {
                consumer.commitSync(offsets);
            } catch (KafkaException e) {
                // The partition may have moved to another consumer; its records get redelivered there.
                LOG.warn("event=commit_failed stage={} error={}", stage, e.toString());
            }
            return;
        }
        consumer.commitAsync(offsets, (done, error) -> {
            if (error != null) {
                LOG.warn("event=commit_failed stage={} error={}", stage, error.toString());
                // Runs on the poll thread inside poll(): send these offsets again next time.
                committedLedgers.forEach((tp, ledger) -> ledger.committed = -1);
            }
        });
    }

    private void updateLag() {
        long total = 0;
        for (TopicPartition tp : ledgers.keySet()) {
            OptionalLong l = consumer.currentLag(tp);
            if (l.isPresent()) {
                total += l.getAsLong();
            }
        }
        lag.set(total);
    }

    /* ---- handler side: runs on the Vert.x context ---- */

    private void process(Pending p, long started) {
        ConsumerRecord<String, byte[]> rec = p.record;
        T value;
        try {
            value = RecordCodec.decode(rec.value(), type);
        } catch (RuntimeException e) {
            deadLetter(p, null, e, 1, started);
            return;
        }
        attempt(p, value, 1, started);
    }

    private void attempt(Pending p, T value, int attempt, long started) {
        ConsumerRecord<String, byte[]> rec = p.record;
        Future<List<Outbound>> result;
        try {
            result = handler.handle(new Inbound<>(value, rec.key(), rec.topic(), rec.partition(), rec.offset(), attempt));
            if (result == null) {
                result = Future.failedFuture(new StunetException(ErrorCode.INTERNAL, "stage handler returned no future"));
            }
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            // A handler that throws instead of failing its future must not leave the record in flight forever.
            result = Future.failedFuture(t);
        }
        result.compose(this::publishStatusFirst).onComplete(ar -> {
            if (ar.succeeded()) {
                succeeded.increment();
                latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                complete(p, true);
                return;
            }
            ErrorCode code = codeOf(ar.cause());
            if (code.retriable() && attempt <= options.getMaxRetries() && !stopRequested) {
                retried.increment();
                long delay = options.getRetryBackoff().toMillis() << Math.min(attempt - 1, 16);
                LOG.info("event=stage_retry stage={} case={} attempt={} code={} delay_ms={}",
                        stage, caseIdOf(value, rec.key()), attempt, code, delay);
                vertx.setTimer(Math.max(1, delay), id -> {
                    if (stopRequested) {
                        complete(p, false);
                    } else {
                        attempt(p, value, attempt + 1, started);
                    }
                });
            } else if (stopRequested && code.retriable()) {
                complete(p, false);
            } else {
                deadLetter(p, value, ar.cause(), attempt, started);
            }
        });
    }

    /**
     * Status records go out (and are acknowledged) before the downstream records, so a later
     * stage's status for the same case cannot be overtaken by this stage's older one on the
     * compacted status topic.
     */
    private Future<Void> publishStatusFirst(List<Outbound> outs) {
        if (outs == null || outs.isEmpty()) {
            return Future.succeededFuture();
        }
        List<Outbound> statuses = outs.stream().filter(o -> o.topic().equals(Topics.STATUS)).toList();
        List<Outbound> rest = outs.stream().filter(o -> !o.topic().equals(Topics.STATUS)).toList();
        if (statuses.isEmpty() || rest.isEmpty()) {
            return publisher.publishAll(outs);
        }
        return publisher.publishAll(statuses).compose(v -> publisher.publishAll(rest));
    }

    private void deadLetter(Pending p, T value, Throwable error, int attempts, long started) {
        ConsumerRecord<String, byte[]> rec = p.record;
        ErrorCode code = codeOf(error);
        String message = messageOf(error);
        String caseId = caseIdOf(value, rec.key());
        byte[] original = rec.value() == null ? new byte[0] : rec.value();
        DeadLetter letter = new DeadLetter(caseId, rec.topic(), rec.partition(), rec.offset(), rec.key(),
                Base64.getEncoder().encodeToString(original), stage, code, message, attempts, System.currentTimeMillis());
        List<Outbound> outs = new ArrayList<>();
        outs.add(new Outbound(Topics.DLQ, caseId != null ? caseId : rec.key(), letter));
        if (caseId != null) {
            outs.add(Outbound.status(CaseStatus.failed(caseId, code, message, stage)));
        }
        LOG.warn("event=dead_letter stage={} case={} topic={} partition={} offset={} code={} message=\"{}\"",
                stage, caseId, rec.topic(), rec.partition(), rec.offset(), code, message);
        publisher.publishAll(outs).onComplete(ar -> {
            if (ar.succeeded()) {
                deadLettered.increment();
                latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                complete(p, true);
            } else if (stopRequested) {
                complete(p, false);
            } else {
                LOG.warn("event=dead_letter_publish_failed stage={} case={} error={}", stage, caseId, ar.cause().toString());
                vertx.setTimer(Math.max(1, options.getRetryBackoff().toMillis()),
                        id -> deadLetter(p, value, error, attempts, started));
            }
        });
    }

    private void complete(Pending p, boolean done) {
        completions.add(new Completion(p.tp, p.epoch, p.record.offset(), done));
    }

    /** The case of a record: from the decoded value, else from the key's first segment if it looks like a case id. */
    private static String caseIdOf(StunetRecord value, String key) {
        if (value != null && value.caseId() != null) {
            return value.caseId();
        }
        String fromKey = TileKey.caseIdOf(key);
        return CaseIds.isValid(fromKey) ? fromKey : null;
    }

    static ErrorCode codeOf(Throwable t) {
        if (t instanceof StunetException s) {
            return s.code();
        }
        if (t instanceof KafkaException) {
            return ErrorCode.BROKER_FAILURE;
        }
        return ErrorCode.INTERNAL;
    }

    /**
     * Our own exceptions carry operator messages free of patient data by contract; for any
     * other exception only its type is reported, since its message may quote input.
     */
    static String messageOf(Throwable t) {
        if (t instanceof StunetException s) {
            return s.getMessage();
        }
        return "unexpected " + t.getClass().getName();
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            drainCompletions();
            commitDone(partitions, true);
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                rebalances.incrementAndGet();
            }
            for (TopicPartition tp : partitions) {
                ledgers.put(tp, new PartitionLedger(++epochs));
            }
            LOG.info("event=partitions_assigned stage={} partitions={}", stage, partitions.size());
            firstAssignment.tryComplete();
        }

        private void forget(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            rebalances.incrementAndGet();
            Set<TopicPartition> gone = new HashSet<>(partitions);
            ledgers.keySet().removeAll(gone);
            paused.removeAll(gone);
            pending.removeIf(p -> gone.contains(p.tp));
            LOG.info("event=partitions_revoked stage={} partitions={}", stage, partitions.size());
        }
    }

    private record Pending(ConsumerRecord<String, byte[]> record, TopicPartition tp, long epoch) {
    }

    private record Completion(TopicPartition tp, long epoch, long offset, boolean done) {
    }

    /**
     * Offsets of one partition in the order they were fetched, with which are done. The
     * commit point is the first offset not done yet, so out-of-order completion never
     * commits past a record whose effect may be missing.
     */
    private static final class PartitionLedger {
        final long epoch;
        final ArrayDeque<Long> offsets = new ArrayDeque<>();
        final Set<Long> doneOffsets = new HashSet<>();
        long next = -1;
        long committed = -1;

        PartitionLedger(long epoch) {
            this.epoch = epoch;
        }

        void add(long offset) {
            offsets.add(offset);
        }

        void done(long offset) {
            doneOffsets.add(offset);
        }

        long advance() {
            while (!offsets.isEmpty() && doneOffsets.remove(offsets.peek())) {
                next = offsets.poll() + 1;
            }
            return next;
        }
    }
}
