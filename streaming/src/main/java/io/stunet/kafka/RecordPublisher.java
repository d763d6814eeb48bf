package io.stunet.kafka;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.records.RecordCodec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Publishes pipeline records durably: an idempotent producer with {@code acks=all}, so a
 * future that succeeds means the broker has the record on every in-sync replica and a retry
 * inside the producer cannot duplicate it. {@code send} can block on metadata or a full
 * buffer, so it runs on one dedicated thread, never on an event loop; results come back on
 * the caller's Vert.x context. Thread-safe; share one per JVM.
 */
public final class RecordPublisher implements AutoCloseable {
    private final Vertx vertx;
    private final KafkaProducer<String, byte[]> producer;
    private final ExecutorService sender;

    /**
     * @param overrides producer properties over the defaults: the cluster's client properties
     *                  (security, TLS) and tuning such as {@code linger.ms}; bootstrap, acks
     *                  and idempotence are always the publisher's own
     */
    public RecordPublisher(Vertx vertx, String bootstrap, Map<String, Object> overrides) {
        this.vertx = vertx;
        Properties p = new Properties();
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        p.putAll(overrides);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "stunet-producer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Publishes one record; succeeds once it is durable. */
    public Future<Void> publish(Outbound out) {
        Context ctx = vertx.getOrCreateContext();
        Promise<Void> promise = Promise.promise();
        byte[] value = RecordCodec.encode(out.record());
        ProducerRecord<String, byte[]> rec = new ProducerRecord<>(out.topic(), out.key(), value);
        try {
            sender.execute(() -> {
                try {
                    producer.send(rec, (md, err) -> ctx.runOnContext(v -> {
                        if (err == null) {
                            promise.complete();
                        } else {
                            promise.fail(new StunetException(ErrorCode.BROKER_FAILURE,
                                    "cannot publish to " + out.topic() + ": " + err.getMessage(), err));
                        }
                    }));
                } catch (RuntimeException e) {
                    ctx.runOnContext(v -> promise.fail(new StunetException(ErrorCode.BROKER_FAILURE,
                            "cannot publish to " + out.topic() + ": " + e.getMessage(), e)));
                }
            });
        } catch (RejectedExecutionException e) {
            promise.fail(new StunetException(ErrorCode.BROKER_FAILURE, "publisher is closed", e));
        }
        return promise.future();
    }

    /** Publishes records; succeeds once all of them are durable, fails if any fails. */
    public Future<Void> publishAll(List<Outbound> outs) {
        if (outs == null || outs.isEmpty()) {
            return Future.succeededFuture();
        }
        List<Future<Void>> sent = new ArrayList<>(outs.size());
        for (Outbound o : outs) {
            sent.add(publish(o));
        }
        return Future.all(sent).mapEmpty();
    }

    /** Flushes what is buffered and closes the producer. */
    @Override
    public void close() {
        sender.shutdown();
        producer.close(Duration.ofSeconds(30));
    }
}
