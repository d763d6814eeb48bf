package io.stunet.preprocess.service;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.kafka.Inbound;
import io.stunet.kafka.Outbound;
import io.stunet.kafka.StageHandler;
import io.stunet.kafka.StageVerticle;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiReader;
import io.stunet.pipeline.CaseManifest;
import io.stunet.cases.CaseOptions;
import io.stunet.cases.ClassSelection;
import io.stunet.pipeline.CaseOutputs;
import io.stunet.slab.SlabPlan;
import io.stunet.pipeline.StageWork;
import io.stunet.preprocess.ModelCardParameters;
import io.stunet.preprocess.PreprocessedCase;
import io.stunet.preprocess.Preprocessor;
import io.stunet.records.BlobRef;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.CaseSubmitted;
import io.stunet.records.TileRequested;
import io.stunet.store.BlobKeys;
import io.stunet.store.ClaimCheckStore;
import io.stunet.topics.Topics;
import io.stunet.volume.Volume;
import io.vertx.core.WorkerExecutor;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The preprocess stage: a thin adapter from {@code stunet.case.submitted} to
 * {@code stunet.tile.requested}. For each case it decodes the input blob in memory (no scratch
 * files), runs the {@link Preprocessor} of the model card (the step {@code predict} runs), writes {@code preprocessed.f32} (raw little-endian
 * float32, C order (c, z, y, x)) and {@code preprocessed.json} ({@link CaseManifest}), and
 * publishes one {@link TileRequested} per z-slab with the planes it owns and the planes its
 * tiles read ({@link SlabPlan}). The work runs on a worker pool of its own; the handler never
 * blocks the event loop. Invalid input fails with the reader's typed error (dead letter).
 */
public final class PreprocessService {
    public static final String STAGE = "preprocess";

    private final StreamingRuntime runtime;
    private final ModelCard card;
    private final Preprocessor preprocessor;
    private final int slabs;
    private final WorkerExecutor workers;

    /**
     * @param slabs   z-slabs per case (at most the preprocessed depth)
     * @param threads worker threads for reading, preprocessing and writing (each holds a case in memory)
     */
    public PreprocessService(StreamingRuntime runtime, ModelCard card, int slabs, int threads) {
        this.runtime = runtime;
        this.card = card;
        this.preprocessor = new Preprocessor(ModelCardParameters.of(card));
        this.slabs = slabs;
        this.workers = runtime.vertx().createSharedWorkerExecutor("stunet-preprocess", threads);
    }

    /** The stage as a verticle on {@code stunet.case.submitted}. */
    public StageVerticle<CaseSubmitted> verticle() {
        return new StageVerticle<>(runtime, STAGE, Topics.CASE_SUBMITTED, CaseSubmitted.class, handler(), null);
    }

    public StageHandler<CaseSubmitted> handler() {
        return this::handle;
    }

    private io.vertx.core.Future<List<Outbound>> handle(Inbound<CaseSubmitted> in) {
        return StageWork.onPool(workers, () -> process(in.value()), STAGE);
    }

    /** Blocking: the whole stage effect for one submission. */
    List<Outbound> process(CaseSubmitted c) {
        if (card.modelSha256() != null && !card.modelSha256().equalsIgnoreCase(c.modelSha256())) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "case was submitted for another model");
        }
        double step = CaseOptions.step(c.options());
        // Unknown class names fail the case here, before any inference is spent on it.
        ClassSelection.resolve(CaseOptions.classes(c.options()), card.classes());
        ClaimCheckStore store = runtime.store();
        if (CaseOutputs.present(store, c.caseId())) {
            return CaseOutputs.alreadyCompleted(c.caseId(), STAGE);
        }
        Volume volume = NiftiReader.read(store.get(c.input())).require3d();
        PreprocessedCase pre = preprocessor.run(volume);
        int[] shape = pre.shape();
        int channels = pre.channels();
        BlobRef volumeRef = store.put(BlobKeys.preprocessedVolume(c.caseId()), new FloatsInput(pre.data()));

        int[] bounds = SlabPlan.bounds(shape[0], slabs);
        int count = bounds.length - 1;
        CaseManifest manifest = new CaseManifest(CaseManifest.SCHEMA_VERSION, pre.properties(), c.input(),
                c.inputName(), c.modelSha256(), c.options(), count, c.submittedAtMillis());
        BlobRef propsRef = store.put(BlobKeys.preprocessedProperties(c.caseId()), manifest.toJson());

        List<Integer> shape4 = List.of(channels, shape[0], shape[1], shape[2]);
        int patchZ = card.patchSizeArray()[0];
        List<Outbound> out = new ArrayList<>(count + 1);
        out.add(Outbound.status(CaseStatus.of(c.caseId(), CaseState.PREPROCESSING, 0.2, STAGE)));
        for (int i = 0; i < count; i++) {
            int[] read = SlabPlan.readRange(shape[0], patchZ, step, bounds[i], bounds[i + 1]);
            out.add(Outbound.of(Topics.TILE_REQUESTED, new TileRequested(c.caseId(), i, count, bounds[i],
                    bounds[i + 1], read[0], read[1], shape4, volumeRef, propsRef, c.modelSha256())));
        }
        return out;
    }

    /**
     * The float32 volume as raw little-endian bytes, produced a block at a time while the store
     * reads it, so the stage never holds a second copy of the volume as bytes.
     */
    private static final class FloatsInput extends InputStream {
        private final float[] data;
        private final ByteBuffer block = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private int next;

        FloatsInput(float[] data) {
            this.data = data;
            block.limit(0);
        }

        @Override
        public int read() {
            return fill() ? block.get() & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(len, block.remaining());
            block.get(b, off, n);
            return n;
        }

        private boolean fill() {
            if (block.hasRemaining()) {
                return true;
            }
            if (next >= data.length) {
                return false;
            }
            int n = Math.min(data.length - next, block.capacity() / 4);
            block.clear();
            block.asFloatBuffer().put(data, next, n);
            block.limit(n * 4);
            next += n;
            return true;
        }
    }

    /** Releases the worker pool. */
    public void close() {
        workers.close();
    }
}
