package io.stunet.kafka;

import io.stunet.error.StunetException;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.RecordCodec;
import io.stunet.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The latest status of every case, read from the compacted {@code stunet.case.status} topic
 * from its beginning (no consumer group: every reader sees every partition). Ingest answers
 * {@code GET /v1/cases/{id}} and streams {@code /v1/events} from it; {@code run} follows its
 * progress. Listeners are called on the view's own thread and must hand work off quickly.
 */
public final class CaseStatusView implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CaseStatusView.class);

    private final String bootstrap;
    private final Map<String, Object> clientProperties;
    private final Map<String, CaseStatus> latest = new ConcurrentHashMap<>();
    private final List<Consumer<CaseStatus>> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean caughtUp;
    private volatile boolean closing;
    private Thread thread;

    /** A view of a broker without client security settings (the embedded one, tests). */
    public CaseStatusView(String bootstrap) {
        this(bootstrap, Map.of());
    }

    /** @param clientProperties Kafka client properties of the cluster connection (security, TLS) */
    public CaseStatusView(String bootstrap, Map<String, Object> clientProperties) {
        this.bootstrap = bootstrap;
        this.clientProperties = Map.copyOf(clientProperties);
    }

    /** Starts reading in the background. */
    public synchronized CaseStatusView start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        thread = new Thread(this::run, "stunet-status-view");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /** The latest status of a case, if any stage has reported one. */
    public Optional<CaseStatus> get(String caseId) {
        return Optional.ofNullable(latest.get(caseId));
    }

    /** A copy of every case's latest status. */
    public Map<String, CaseStatus> snapshot() {
        return Map.copyOf(latest);
    }

    /** Whether everything on the topic when the view started has been read (readiness). */
    public boolean caughtUp() {
        return caughtUp;
    }

    /** Calls {@code listener} with every status that changes the view; returns a handle that removes it. */
    public Runnable addListener(Consumer<CaseStatus> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * How an incoming status combines with the current one. COMPLETED is kept: records of a
     * finished case redelivered after a crash re-assert COMPLETED or report an earlier stage
     * again, and neither may move the case (a repeated COMPLETED is no change, so listeners
     * see one completion); only ingest's RECEIVED, a new submission, starts it over. Updates
     * from different stages may arrive out of order, so a non-final update older than FAILED
     * is ignored; anything else (including a resubmission after FAILED) replaces the state.
     */
    public static CaseStatus merge(CaseStatus current, CaseStatus incoming) {
        if (current == null) {
            return incoming;
        }
        if (current.state() == CaseState.COMPLETED) {
            return incoming.state() == CaseState.RECEIVED ? incoming : current;
        }
        if (current.state().isFinal() && !incoming.state().isFinal()
                && incoming.updatedAtMillis() < current.updatedAtMillis()) {
            return current;
        }
        return incoming;
    }

    private void run() {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = statusPartitions(consumer);
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            while (!closing) {
                for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(100))) {
                    apply(rec);
                }
                if (!caughtUp && tps.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
                    caughtUp = true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (!closing) {
                LOG.error("event=status_view_failed error={}", e.toString(), e);
            }
        }
    }

    /**
     * The status topic's partitions. A topic created moments ago may not be in the metadata
     * yet (an empty list or an unknown-topic answer), so ask again until it is or the view closes.
     */
    private List<TopicPartition> statusPartitions(KafkaConsumer<String, byte[]> consumer) throws InterruptedException {
        long backoff = 25;
        while (true) {
            List<PartitionInfo> infos;
            try {
                infos = consumer.partitionsFor(Topics.STATUS, Duration.ofSeconds(10));
            } catch (RetriableException e) {
                infos = List.of();
            }
            if (!infos.isEmpty() || closing) {
                List<TopicPartition> tps = new ArrayList<>();
                for (PartitionInfo info : infos) {
                    tps.add(new TopicPartition(Topics.STATUS, info.partition()));
                }
                return tps;
            }
            LOG.info("event=status_topic_not_ready backoff_ms={}", backoff);
            Thread.sleep(backoff);
            backoff = Math.min(backoff * 2, 1000);
        }
    }

    private void apply(ConsumerRecord<String, byte[]> rec) {
        if (rec.value() == null) {
            return;
        }
        CaseStatus incoming;
        try {
            incoming = RecordCodec.decode(rec.value(), CaseStatus.class);
        } catch (StunetException e) {
            LOG.warn("event=status_record_skipped partition={} offset={} code={}", rec.partition(), rec.offset(), e.code());
            return;
        }
        CaseStatus before = latest.get(incoming.caseId());
        CaseStatus after = merge(before, incoming);
        if (after != before) {
            latest.put(after.caseId(), after);
            for (Consumer<CaseStatus> l : listeners) {
                try {
                    l.accept(after);
                } catch (RuntimeException e) {
                    LOG.warn("event=status_listener_failed error={}", e.toString());
                }
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        Thread t = thread;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
