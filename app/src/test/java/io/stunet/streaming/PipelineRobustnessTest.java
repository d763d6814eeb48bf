package io.stunet.streaming;

import io.micrometer.core.instrument.Gauge;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.geometry.Affine;
import io.stunet.kafka.StageVerticle;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.nifti.NiftiWriter;
import io.stunet.predict.CaseFiles;
import io.stunet.records.CaseCompleted;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.DeadLetter;
import io.stunet.records.TileRequested;
import io.stunet.streaming.StageDeployment.Role;
import io.stunet.testing.TestData;
import io.stunet.topics.Topics;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The failure modes of issue 6 against a real embedded broker and the real engine: an infer
 * service killed mid-slab, a broker restart mid-run, bad inputs next to good ones, and a burst
 * of small cases under bounded in-flight work.
 */
class PipelineRobustnessTest {
    static final Duration TIMEOUT = Duration.ofMinutes(4);

    @TempDir
    static Path tmp;
    static Path model;
    static Path samples;
    static Path expected;

    @BeforeAll
    static void reference() throws Exception {
        model = TinyModel.create(tmp.resolve("model"));
        samples = tmp.resolve("samples");
        Files.createDirectories(samples);
        for (String s : PipelineRunTest.SAMPLES) {
            Files.copy(TestData.nifti(s), samples.resolve(s));
        }
        expected = TinyModel.predict(model, samples, tmp.resolve("expected"), false);
    }

    /** Submits the samples; returns case id -> case name. */
    private static Map<String, String> submitSamples(Harness h) {
        Map<String, String> ids = new LinkedHashMap<>();
        for (Path f : CaseFiles.list(samples)) {
            ids.put(h.submit(f), CaseFiles.caseName(f));
        }
        return ids;
    }

    private static void assertMasksMatchPredict(Harness h, Map<String, String> ids, Path out) throws Exception {
        Files.createDirectories(out);
        for (Map.Entry<String, String> e : ids.entrySet()) {
            PipelineRun.writeOutputs(h.runtime.store(), e.getKey(), e.getValue(), out);
            PipelineRunTest.assertSameOutputs(expected, out, e.getValue());
        }
    }

    private static void assertCompletedOnce(Harness h, Map<String, String> ids) {
        Map<String, Long> completions = h.read(Topics.CASE_COMPLETED, CaseCompleted.class).stream()
                .collect(Collectors.groupingBy(CaseCompleted::caseId, Collectors.counting()));
        for (String id : ids.keySet()) {
            assertEquals(1L, completions.getOrDefault(id, 0L), "completions of a case");
        }
    }

    /** Whether every slab of every case is on the tile-request topic. */
    private static boolean allSlabsRequested(Harness h, Map<String, String> ids) {
        Map<String, List<TileRequested>> byCase = h.read(Topics.TILE_REQUESTED, TileRequested.class).stream()
                .collect(Collectors.groupingBy(TileRequested::caseId));
        return ids.keySet().stream().allMatch(id -> {
            List<TileRequested> slabs = byCase.getOrDefault(id, List.of());
            return !slabs.isEmpty() && slabs.stream().map(TileRequested::slab).distinct().count() == slabs.get(0).slabCount();
        });
    }

    @Test
    void inferKilledMidSlabIsReplacedAndEveryCaseCompletesOnceWithTheSameMask() throws Exception {
        try (Harness h = new Harness(tmp.resolve("crash"), model, Map.of("pipeline.slabs", "3", "infer.intake", "2"))) {
            // Every slab waits on the topic before infer starts, so the kill always finds work
            // queued behind the slabs in flight, however fast the machine.
            h.deploy(EnumSet.of(Role.PREPROCESS));
            Map<String, String> ids = submitSamples(h);
            PipelineRun.waitFor(() -> allSlabsRequested(h, ids), TIMEOUT, "preprocess did not request every slab");
            StageDeployment first = h.deploy(EnumSet.of(Role.INFER));
            StageVerticle<?> infer = first.inferVerticle();
            // A tight wait, not a 50 ms poll: kill as soon as a slab is being computed.
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (infer.consumer().inFlight() == 0) {
                assertTrue(System.nanoTime() < deadline, "infer never started");
                Thread.onSpinWait();
            }
            // Abrupt: no grace, nothing more committed; the engine dies with its slabs.
            StageDeployment.await(infer.consumer().stop(Duration.ZERO));
            first.close();
            assertTrue(infer.consumer().released() > 0, "the crash must leave a slab in flight, uncommitted");

            h.deploy(EnumSet.of(Role.INFER, Role.POSTPROCESS));
            Map<String, CaseStatus> end = h.awaitFinal(ids.keySet(), TIMEOUT);
            end.values().forEach(s -> assertEquals(CaseState.COMPLETED, s.state(), s::toString));
            assertCompletedOnce(h, ids);
            assertMasksMatchPredict(h, ids, tmp.resolve("crash-out"));
        }
    }

    @Test
    void brokerRestartMidRunResumesAndCompletesEveryCase() throws Exception {
        Path work = tmp.resolve("restart");
        Map<String, String> ids;
        Map<String, String> config = Map.of("pipeline.slabs", "2", "stage.shutdown.grace.ms", "0");
        try (Harness h = new Harness(work, model, config)) {
            h.deploy(EnumSet.allOf(Role.class));
            ids = submitSamples(h);
            PipelineRun.waitFor(() -> ids.keySet().stream().anyMatch(id -> h.view.get(id)
                    .map(s -> s.state() == CaseState.INFERRING || s.state() == CaseState.PREPROCESSING).orElse(false)),
                    TIMEOUT, "no case got going");
        }
        try (Harness h = new Harness(work, model, config)) {
            h.deploy(EnumSet.allOf(Role.class));
            Map<String, CaseStatus> end = h.awaitFinal(ids.keySet(), TIMEOUT);
            end.values().forEach(s -> assertEquals(CaseState.COMPLETED, s.state(), s::toString));
            assertMasksMatchPredict(h, ids, tmp.resolve("restart-out"));
        }
    }

    /** The code our own reader gives a file (the expectation for its dead letter). */
    private static ErrorCode readerCode(Path file) {
        try {
            NiftiReader.read(file).require3d();
        } catch (StunetException e) {
            return e.code();
        }
        throw new AssertionError(file.getFileName() + " reads fine");
    }

    @Test
    void badInputsEndInTheDeadLetterTopicWithTheirCodeBesideGoodCases() throws Exception {
        Path bad = tmp.resolve("poison");
        Files.createDirectories(bad);
        byte[] ct = Files.readAllBytes(TestData.nifti("example_ct_sm.nii.gz"));
        Path truncated = bad.resolve("truncated.nii.gz");
        Files.write(truncated, Arrays.copyOf(ct, ct.length / 2));
        byte[] plain = Files.readAllBytes(TestData.nifti("anatomical.nii"));
        plain[344] = 'x';
        Path badMagic = bad.resolve("bad_magic.nii");
        Files.write(badMagic, plain);
        Path fourD = TestData.nifti("example4d.nii.gz");

        try (Harness h = new Harness(tmp.resolve("poison-work"), model, Map.of())) {
            h.deploy(EnumSet.allOf(Role.class));
            Map<String, ErrorCode> expectedCodes = new LinkedHashMap<>();
            for (Path f : List.of(truncated, badMagic, fourD)) {
                expectedCodes.put(h.submit(f), readerCode(f));
            }
            String good = h.submit(samples.resolve("example_ct_sm.nii.gz"));
            List<String> all = new ArrayList<>(expectedCodes.keySet());
            all.add(good);
            Map<String, CaseStatus> end = h.awaitFinal(all, TIMEOUT);

            assertEquals(CaseState.COMPLETED, end.get(good).state());
            Map<String, DeadLetter> dlq = h.read(Topics.DLQ, DeadLetter.class).stream()
                    .collect(Collectors.toMap(DeadLetter::caseId, Function.identity(), (a, b) -> a));
            assertEquals(expectedCodes.keySet(), dlq.keySet(), "dead letters are exactly the bad cases");
            for (Map.Entry<String, ErrorCode> e : expectedCodes.entrySet()) {
                CaseStatus s = end.get(e.getKey());
                assertEquals(CaseState.FAILED, s.state());
                assertEquals(e.getValue(), s.errorCode());
                DeadLetter d = dlq.get(e.getKey());
                assertEquals(e.getValue(), d.errorCode());
                assertEquals("preprocess", d.stage());
                assertEquals(Topics.CASE_SUBMITTED, d.originalTopic());
            }
        }
    }

    /** A small smooth random CT-like volume on the model's target spacing. */
    private static Path generated(Path dir, int i) throws Exception {
        Random r = new Random(i);
        int nx = 20 + r.nextInt(8);
        int ny = 18 + r.nextInt(8);
        int nz = 10 + r.nextInt(6);
        short[] v = new short[nx * ny * nz];
        double f = 0.2 + 0.3 * r.nextDouble();
        for (int z = 0, k = 0; z < nz; z++) {
            for (int y = 0; y < ny; y++) {
                for (int x = 0; x < nx; x++) {
                    v[k++] = (short) (200 * Math.sin(f * x + z) + 150 * Math.cos(f * y - 0.5 * z) + 20 * r.nextGaussian());
                }
            }
        }
        NiftiHeader hdr = NiftiHeader.forGrid(nx, ny, nz, Affine.diagonal(5, 5, 5, 0, 0, 0), DataType.INT16);
        Path file = dir.resolve("burst_" + i + ".nii.gz");
        NiftiWriter.write(file, Volume.wrap(hdr, v));
        return file;
    }

    @Test
    void burstOfSmallCasesCompletesWithBoundedInFlightAndNoEviction() throws Exception {
        Path dir = tmp.resolve("burst");
        Files.createDirectories(dir);
        int n = 200;
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            files.add(generated(dir, i));
        }
        int bound = 3;
        try (Harness h = new Harness(tmp.resolve("burst-work"), model,
                Map.of("stage.max.in.flight", Integer.toString(bound), "infer.intake", "2"))) {
            StageDeployment d = h.deploy(EnumSet.allOf(Role.class));
            List<Gauge> inFlight = new ArrayList<>(h.runtime.metrics().registry().find("stunet_stage_in_flight").gauges());
            assertEquals(3, inFlight.size(), "one in-flight gauge per stage");
            AtomicInteger max = new AtomicInteger();
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    for (Gauge g : inFlight) {
                        max.accumulateAndGet((int) g.value(), Math::max);
                    }
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.start();
            List<String> ids = new ArrayList<>();
            for (Path f : files) {
                ids.add(h.submit(f));
            }
            Map<String, CaseStatus> end = h.awaitFinal(ids, TIMEOUT);
            sampler.interrupt();
            sampler.join();
            end.values().forEach(s -> assertEquals(CaseState.COMPLETED, s.state(), s::toString));
            assertTrue(max.get() >= 1, "the sampler saw work in flight");
            assertTrue(max.get() <= bound, "in-flight gauge reached " + max.get() + " > bound " + bound);
            for (StageVerticle<?> v : d.verticles()) {
                assertNotNull(v.consumer());
                assertEquals(1, v.consumer().rebalances(), "a stage consumer was rebalanced (evicted?)");
            }
            Map<String, String> byId = new LinkedHashMap<>();
            ids.forEach(id -> byId.put(id, id));
            assertCompletedOnce(h, byId);
        }
    }
}
