package io.stunet.streaming;

import io.stunet.config.StunetConfig;
import io.stunet.engine.EngineOptions;
import io.stunet.engine.InferenceEngine;
import io.stunet.engine.NativeAllocator;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.infer.service.EngineMetrics;
import io.stunet.infer.service.InferService;
import io.stunet.kafka.StageVerticle;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.model.ModelCard;
import io.stunet.postprocess.service.PostprocessService;
import io.stunet.postprocess.service.CStoreSender;
import io.stunet.postprocess.service.SegDestination;
import io.stunet.postprocess.service.StowSender;
import io.stunet.predict.StunetVersion;
import io.stunet.preprocess.service.PreprocessService;
import io.vertx.core.Future;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The numerical stages of one JVM, built from the configuration and deployed as verticles on
 * a {@link StreamingRuntime}: {@code run} deploys all of them, {@code serve --roles} a subset.
 * The model is loaded once and shared; closing undeploys the verticles (graceful stop: stop
 * fetching, finish or release in-flight records, commit), then closes the engine and pools.
 */
public final class StageDeployment implements AutoCloseable {
    /** A numerical stage this class can deploy. */
    public enum Role {
        PREPROCESS, INFER, POSTPROCESS;

        /** Parses {@code preprocess,infer,...}; unknown names fail with {@code INVALID_REQUEST}. */
        public static Set<Role> parseAll(List<String> names) {
            Set<Role> roles = EnumSet.noneOf(Role.class);
            for (String n : names) {
                try {
                    roles.add(Role.valueOf(n.trim().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new StunetException(ErrorCode.INVALID_REQUEST, "unknown role '" + n + "'; roles are "
                            + Arrays.toString(values()).toLowerCase(Locale.ROOT) + " and ingest");
                }
            }
            return roles;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(StageDeployment.class);
    private static final Duration DEPLOY_TIMEOUT = Duration.ofSeconds(120);

    private final StreamingRuntime runtime;
    private final List<String> deployments = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private InferenceEngine engine;
    private StageVerticle<?> inferVerticle;
    private final List<StageVerticle<?>> verticles = new ArrayList<>();

    private StageDeployment(StreamingRuntime runtime) {
        this.runtime = runtime;
    }

    /** Loads the model of {@code model.dir} and deploys the given roles. Blocking. */
    public static StageDeployment deploy(StreamingRuntime runtime, Set<Role> roles) {
        StunetConfig config = runtime.config();
        Path modelDir = config.getOptionalPath(StunetConfig.MODEL_DIR);
        if (modelDir == null) {
            throw new StunetException(ErrorCode.INVALID_CONFIG, StunetConfig.MODEL_DIR.name() + " is required by the stages");
        }
        ModelCard card = ModelCard.load(modelDir);
        StageDeployment d = new StageDeployment(runtime);
        int threads = config.getInt(StunetConfig.STAGE_WORKER_THREADS);
        try {
            if (roles.contains(Role.POSTPROCESS)) {
                PostprocessService post = new PostprocessService(runtime, card, config.getOptionalPath(StunetConfig.OUTBOX_DIR), threads,
                        StunetVersion.get(), segDestinations(config));
                d.resources.add(post::close);
                d.start(post.verticle());
                post.checkDestinations();
            }
            if (roles.contains(Role.INFER)) {
                EngineOptions options = engineOptions(config, card).listener(new EngineMetrics(runtime.metrics().registry()));
                NativeAllocator.Advice advice = NativeAllocator.advice(System.getenv(), options.devices());
                String allocator = NativeAllocator.describe(System.getenv()).replace('"', '\'');
                String said = advice == null ? "" : advice.text().replace('"', '\'');
                if (advice != null && advice.warning()) {
                    LOG.warn("event=native_allocator allocator=\"{}\" advice=\"{}\"", allocator, said);
                } else {
                    LOG.info("event=native_allocator allocator=\"{}\" advice=\"{}\"", allocator, said);
                }
                d.engine = InferenceEngine.open(card.modelFile(), options);
                d.resources.add(d.engine);
                InferService infer = new InferService(runtime, d.engine, threads);
                d.resources.add(infer::close);
                d.inferVerticle = infer.verticle();
                d.start(d.inferVerticle);
            }
            if (roles.contains(Role.PREPROCESS)) {
                PreprocessService pre = new PreprocessService(runtime, card, config.getInt(StunetConfig.PIPELINE_SLABS), threads);
                d.resources.add(pre::close);
                d.start(pre.verticle());
            }
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** Engine options from the configuration and the model card. */
    public static EngineOptions engineOptions(StunetConfig config, ModelCard card) {
        double step;
        try {
            step = Double.parseDouble(config.getString(StunetConfig.INFER_STEP));
        } catch (NumberFormatException e) {
            throw new StunetException(ErrorCode.INVALID_CONFIG, StunetConfig.INFER_STEP.name() + " must be a number");
        }
        return EngineOptions.forModel(card)
                .devices(config.getList(StunetConfig.INFER_DEVICES))
                .batchSize(config.getInt(StunetConfig.INFER_BATCH))
                .tta(config.getBoolean(StunetConfig.INFER_TTA))
                .step(step)
                .intakeCapacity(config.getInt(StunetConfig.INFER_INTAKE))
                .collectAfterSlab(config.getBoolean(StunetConfig.INFER_COLLECT_AFTER_SLAB));
    }

    /** Where postprocess delivers each new SEG: the STOW-RS and C-STORE destinations configured, in that order. */
    static List<SegDestination> segDestinations(StunetConfig config) {
        List<SegDestination> out = new ArrayList<>();
        String stowUrl = config.getOptional(StunetConfig.DICOM_SEND_STOW_URL);
        if (stowUrl != null) {
            out.add(new StowSender(stowUrl, config.getOptional(StunetConfig.DICOM_SEND_STOW_TOKEN),
                    config.getMillis(StunetConfig.DICOM_SEND_STOW_TIMEOUT_MS)));
        }
        String dimse = config.getOptional(StunetConfig.DICOM_SEND_DIMSE);
        if (dimse != null) {
            out.add(new CStoreSender(dimse, config.getString(StunetConfig.DICOM_SEND_DIMSE_CALLING_AE),
                    config.getMillis(StunetConfig.DICOM_SEND_DIMSE_TIMEOUT_MS)));
        }
        return out;
    }

    private void start(StageVerticle<?> verticle) {
        deployments.add(await(runtime.vertx().deployVerticle(verticle)));
        verticles.add(verticle);
    }

    /** The deployed stage verticles (their consumers' in-flight and rebalance counters). */
    public List<StageVerticle<?>> verticles() {
        return List.copyOf(verticles);
    }

    /** The engine when this JVM runs the infer role, else {@code null}. */
    public InferenceEngine engine() {
        return engine;
    }

    /** The infer verticle (its consumer's gauges), or {@code null}. */
    public StageVerticle<?> inferVerticle() {
        return inferVerticle;
    }

    static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(DEPLOY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StunetException(ErrorCode.INTERNAL, "interrupted while waiting for Vert.x", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StunetException se) {
                throw se;
            }
            throw new StunetException(ErrorCode.INTERNAL, "stage deployment failed: " + e.getCause().getClass().getSimpleName(), e.getCause());
        } catch (TimeoutException e) {
            throw new StunetException(ErrorCode.INTERNAL, "stage deployment timed out", e);
        }
    }

    /** Undeploys in reverse order (each stops gracefully), then releases the engine and pools. */
    @Override
    public void close() {
        List<String> ids = new ArrayList<>(deployments);
        Collections.reverse(ids);
        for (String id : ids) {
            try {
                await(runtime.vertx().undeploy(id));
            } catch (StunetException e) {
                // keep closing the others; the consumer releases what it could not commit
            }
        }
        deployments.clear();
        verticles.clear();
        List<AutoCloseable> rs = new ArrayList<>(resources);
        Collections.reverse(rs);
        for (AutoCloseable r : rs) {
            try {
                r.close();
            } catch (Exception e) {
                // closing is best effort at shutdown; nothing is left to hand the error to
            }
        }
        resources.clear();
    }
}
