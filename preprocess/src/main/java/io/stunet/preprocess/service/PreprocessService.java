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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The preprocess stage: a thin adapter from {@code stunet.case.submitted} to
 * {@code stunet.tile.requested}. For each case it reads the input blob, runs the
 * {@link Preprocessor} of the model card, writes {@code preprocessed.f32} (raw little-endian
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
        ClaimCheckStore store = runtime.store();
        if (CaseOutputs.present(store, c.caseId())) {
            return CaseOutputs.alreadyCompleted(c.caseId(), STAGE);
        }
        Path tmp = tempDir();
        try {
            Path input = tmp.resolve("input.nii.gz");
            Files.write(input, store.get(c.input()));
            Volume volume = NiftiReader.read(input).require3d();
            PreprocessedCase pre = preprocessor.run(volume);
            int[] shape = pre.shape();
            int channels = pre.channels();

            Path raw = tmp.resolve("preprocessed.f32");
            writeFloats(raw, pre.data());
            BlobRef volumeRef = store.putFile(BlobKeys.preprocessedVolume(c.caseId()), raw);

            int[] bounds = SlabPlan.bounds(shape[0], slabs);
            int count = bounds.length - 1;
            CaseManifest manifest = new CaseManifest(CaseManifest.SCHEMA_VERSION, pre.properties(), c.input(),
                    c.inputName(), c.modelSha256(), c.options(), count);
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
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "preprocess scratch file failed", e);
        } finally {
            deleteTree(tmp);
        }
    }

    private static void writeFloats(Path file, float[] data) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            int i = 0;
            while (i < data.length) {
                buf.clear();
                int n = Math.min(data.length - i, buf.capacity() / 4);
                buf.asFloatBuffer().put(data, i, n);
                buf.limit(n * 4);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                i += n;
            }
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("stunet-preprocess-");
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot create a scratch directory", e);
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // scratch space only; the next case uses a fresh directory
        }
    }

    /** Releases the worker pool. */
    public void close() {
        workers.close();
    }
}
