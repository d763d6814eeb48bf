package io.stunet.streaming;

import io.stunet.config.StunetConfig;
import io.stunet.kafka.CaseStatusView;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.model.ModelCard;
import io.stunet.cases.CaseOptions;
import io.stunet.records.CaseStatus;
import io.stunet.records.RecordCodec;
import io.stunet.records.StunetRecord;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * One JVM's worth of pipeline for robustness tests: the embedded broker under {@code work},
 * the local store, stage deployments that can be stopped and replaced independently, a status
 * view and the submitter. No TTA, so cases are quick with the tiny model.
 */
final class Harness implements AutoCloseable {
    final Vertx vertx = Vertx.vertx();
    final StreamingRuntime runtime;
    final CaseStatusView view;
    final CaseSubmitter submitter;
    final Map<String, String> options;
    private final List<StageDeployment> deployments = new ArrayList<>();

    Harness(Path work, Path model, Map<String, String> extra) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put(StunetConfig.KAFKA_EMBEDDED_DIR.name(), work.resolve("kafka").toString());
        o.put(StunetConfig.STORE_LOCAL_ROOT.name(), work.resolve("blobs").toString());
        o.put(StunetConfig.MODEL_DIR.name(), model.toString());
        o.put(StunetConfig.INFER_TTA.name(), "false");
        o.put(StunetConfig.INFER_DEVICES.name(), "cpu,cpu");
        o.put(StunetConfig.STAGE_RETRY_BACKOFF_MS.name(), "50");
        o.putAll(extra);
        options = CaseOptions.of(false, 0.5, "nearest", false);
        runtime = StreamingRuntime.start(vertx, StunetConfig.load(null, Map.of(), o), "test", EmbeddedBroker::start);
        view = new CaseStatusView(runtime.bootstrap()).start();
        PipelineRun.waitFor(view::caughtUp, Duration.ofSeconds(60), "status view");
        submitter = new CaseSubmitter(runtime, ModelCard.load(model).modelSha256());
    }

    StageDeployment deploy(Set<StageDeployment.Role> roles) {
        StageDeployment d = StageDeployment.deploy(runtime, roles);
        deployments.add(d);
        return d;
    }

    String submit(Path file) {
        return submitter.submit(file, options);
    }

    /** Waits until every case has a final state; returns their statuses. */
    Map<String, CaseStatus> awaitFinal(Collection<String> ids, Duration timeout) {
        PipelineRun.waitFor(() -> ids.stream().allMatch(id -> view.get(id).map(s -> s.state().isFinal()).orElse(false)),
                timeout, "cases did not finish: " + view.snapshot());
        Map<String, CaseStatus> out = new LinkedHashMap<>();
        ids.forEach(id -> out.put(id, view.get(id).orElseThrow()));
        return out;
    }

    /** Every record on a topic so far, decoded. */
    <T extends StunetRecord> List<T> read(String topic, Class<T> type) {
        return io.stunet.kafka.TopicDump.read(runtime.bootstrap(), topic, type);
    }

    /** Stops the stages (gracefully), the view, the runtime (and its broker) and Vert.x. */
    @Override
    public void close() {
        view.close();
        for (StageDeployment d : deployments) {
            d.close();
        }
        runtime.close();
        StageDeployment.await(vertx.close());
    }
}
