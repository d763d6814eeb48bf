package io.stunet.chaos;

import io.stunet.kafka.TopicDump;
import io.stunet.predict.CaseFiles;
import io.stunet.records.CaseCompleted;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.CaseSubmitted;
import io.stunet.records.TileSegmented;
import io.stunet.kafka.CaseStatusView;
import io.stunet.pipeline.FaultPoints;
import io.stunet.store.BlobKeys;
import io.stunet.streaming.PipelineRun;
import io.stunet.streaming.PipelineRunTest;
import io.stunet.streaming.TinyModel;
import io.stunet.testing.TestData;
import io.stunet.topics.Topics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17: the pipeline deployed as separate processes (broker JVM, one JVM per stage role,
 * two infer JVMs sharing the tile topics through their consumer group) survives SIGKILL of
 * any one of them. Each scenario runs a cohort of 8 small CT cases (demo model, 2 slabs each,
 * no TTA) and checks that every case completes exactly once (the status view shows COMPLETED
 * once and nothing after it; the mask blob is written once; duplicate {@link CaseCompleted}
 * records, where a crash makes them, carry the same claim checks) with masks and statistics
 * bit-identical to {@code predict} run in this JVM. Times to recover and cohort throughput are
 * printed as {@code chaos ...} lines. Loopback only; every wait is bounded.
 */
@Tag("chaos")
class MultiProcessFaultTest {
    static final Duration COHORT_TIMEOUT = Duration.ofMinutes(3);
    /** A stage that commits only when its partitions are revoked: a kill leaves all it handled uncommitted. */
    static final Map<String, String> LONG_COMMIT = Map.of("STUNET_STAGE_COMMIT_INTERVAL_MS", "600000");

    @TempDir
    static Path tmp;
    static Path model;
    static Path expected;
    static List<Path> cohortA;
    static List<Path> cohortB;
    static List<Path> cohortC;

    @BeforeAll
    static void inputsAndReference() {
        model = TestData.root().resolve("models/demo");
        cohortA = CohortInputs.write(tmp.resolve("in-a"), 0, 8);
        cohortB = CohortInputs.write(tmp.resolve("in-b"), 8, 8);
        cohortC = CohortInputs.write(tmp.resolve("in-c"), 16, 8);
        expected = tmp.resolve("expected");
        long t0 = System.nanoTime();
        for (String d : List.of("in-a", "in-b", "in-c")) {
            TinyModel.predict(model, tmp.resolve(d), expected, false);
        }
        report("reference", "predict_s", seconds(System.nanoTime() - t0));
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void inferKilledMidSlabHandsItsPartitionsToTheOtherInferProcess() throws Exception {
        withCluster("infer-kill", Map.of(), cl -> {
            cl.startBroker();
            List<ChildJvm> infers = startStages(cl, 2, Map.of(), Map.of());
            Client c = cl.client();
            long start = System.nanoTime();
            Map<String, String> ids = c.submitAll(cohortA);
            ChildJvm[] victim = new ChildJvm[1];
            // The first infer process seen with a slab in flight is the victim. (Waiting for a
            // completion first could miss the window on a loaded machine: the cohort may finish
            // between two polls of a lagging view.)
            Client.await(() -> {
                for (ChildJvm i : infers) {
                    if (cl.inFlight(i, "infer") > 0) {
                        victim[0] = i;
                        return true;
                    }
                }
                return false;
            }, COHORT_TIMEOUT, "no infer process was ever mid-slab");
            ChildJvm survivor = infers.get(0) == victim[0] ? infers.get(1) : infers.get(0);
            int assigned = survivor.count("event=partitions_assigned stage=infer");
            long kill = System.nanoTime();
            victim[0].kill9();
            long doneAtKill = c.completedCount(ids.keySet());
            assertTrue(doneAtKill < ids.size(), "the kill must hit an unfinished cohort");
            survivor.awaitCount("event=partitions_assigned stage=infer", assigned, Duration.ofSeconds(90));
            long handoff = System.nanoTime() - kill;
            verify(c, ids, "infer-kill");
            report("infer-kill", "handoff_s", seconds(handoff), "next_completion_s", nextCompletion(c, ids, kill),
                    "cohort_s", seconds(System.nanoTime() - start), "done_at_kill", doneAtKill);
        });
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void preprocessKilledMidCaseAndPostprocessKilledBeforeCommittingCompleteEveryCaseOnce() throws Exception {
        // Neither stage commits on its own during the cohort, so each kill leaves every record it
        // handled uncommitted: the restarted process sees all of them again, finished cases included.
        withCluster("pre-post-kill", Map.of(), cl -> {
            cl.startBroker();
            startStages(cl, 2, LONG_COMMIT, LONG_COMMIT);
            ChildJvm pre = cl.findChild("preprocess-1");
            ChildJvm post = cl.findChild("postprocess-1");
            Client c = cl.client();
            long start = System.nanoTime();
            // Half the cohort first; the other half is submitted while preprocess is down, so its
            // replacement has work that nothing else can do and the cohort is unfinished for the
            // postprocess kill.
            Map<String, String> ids = new LinkedHashMap<>(c.submitAll(cohortA.subList(0, 4)));
            int[] preInFlight = {0};
            Client.await(() -> (preInFlight[0] = cl.inFlight(pre, "preprocess")) > 0
                    || ids.keySet().stream().allMatch(id -> c.view.get(id).map(st -> st.state() != CaseState.RECEIVED).orElse(false)),
                    COHORT_TIMEOUT, "preprocess never took a case", 2);
            long killPre = System.nanoTime();
            pre.kill9();
            long donePre = c.completedCount(ids.keySet());
            ChildJvm pre2 = cl.launchStage("preprocess", "preprocess-2", LONG_COMMIT);
            ids.putAll(c.submitAll(cohortA.subList(4, cohortA.size())));

            Client.await(() -> c.completedCount(ids.keySet()) >= 2, COHORT_TIMEOUT, "two cases did not complete");
            long killPost = System.nanoTime();
            post.kill9();
            long donePost = c.completedCount(ids.keySet());
            assertTrue(donePost < ids.size(), "the postprocess kill must hit an unfinished cohort");
            ChildJvm post2 = cl.startStage("postprocess", "postprocess-2", Map.of());
            verify(c, ids, "pre-post-kill");
            assertTrue(post2.count("event=case_already_completed") >= 1,
                    "the restarted postprocess saw the finished cases again\n" + post2.tail());
            assertTrue(pre2.alive(), "replacement preprocess still running");
            report("preprocess-kill", "in_flight_at_kill", preInFlight[0], "next_completion_s",
                    nextCompletion(c, ids, killPre), "done_at_kill", donePre);
            report("postprocess-kill", "next_completion_s", nextCompletion(c, ids, killPost), "done_at_kill", donePost,
                    "republished", post2.count("event=case_already_completed"),
                    "cohort_s", seconds(System.nanoTime() - start));
        });
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void ingestKilledBetweenItsPublishesHandsTheCaseOverWhenTheUploadIsRetried() throws Exception {
        withCluster("ingest-kill", Map.of(), cl -> {
            cl.startBroker();
            startStages(cl, 1, Map.of(), Map.of());
            Client c = cl.client();
            Path input = cohortA.get(0);
            long start = System.nanoTime();
            // Killed after RECEIVED and before CaseSubmitted: no stage will ever see the case.
            ChildJvm ingest1 = cl.startStage("ingest", "ingest-1", Map.of(FaultPoints.ENV, FaultPoints.INGEST_AFTER_RECEIVED));
            cl.upload(ingest1, input);
            String id = ingest1.await("event=fault_point_held point=ingest\\.after_received case=([0-9a-f]+)", ChaosCluster.START_TIMEOUT);
            ingest1.kill9();
            Client.await(() -> c.view.get(id).isPresent(), Duration.ofSeconds(30), "the case's RECEIVED status");
            assertEquals(CaseState.RECEIVED, c.view.get(id).orElseThrow().state());
            assertEquals(0, submissions(c, id), "ingest-1 died before publishing CaseSubmitted");

            // The upload retried on a second ingest, killed after CaseSubmitted and before the
            // submitted mark: the case was handed over and goes on without ingest.
            ChildJvm ingest2 = cl.startStage("ingest", "ingest-2", Map.of(FaultPoints.ENV, FaultPoints.INGEST_AFTER_SUBMITTED));
            cl.upload(ingest2, input);
            ingest2.await("event=fault_point_held point=ingest\\.after_submitted case=(" + id + ")", ChaosCluster.START_TIMEOUT);
            assertEquals(1, ingest2.count("event=case_not_handed_over case=" + id), ingest2.tail());
            ingest2.kill9();
            Map<String, String> ids = Map.of(id, CaseFiles.caseName(input));
            verify(c, ids, "ingest-kill");

            // A third ingest answers the same upload with the existing, completed case.
            ChildJvm ingest3 = cl.startStage("ingest", "ingest-3", Map.of());
            HttpResponse<String> again = cl.upload(ingest3, input).get(60, TimeUnit.SECONDS);
            assertEquals(200, again.statusCode(), again.body());
            assertTrue(again.body().contains("\"existing\":true") && again.body().contains("COMPLETED"), again.body());
            assertEquals(1, submissions(c, id), "one CaseSubmitted in all");
            report("ingest-kill", "cohort_s", seconds(System.nanoTime() - start));
        });
    }

    /** The {@code CaseSubmitted} records of a case on its topic. */
    private static long submissions(Client c, String caseId) {
        return c.read(Topics.CASE_SUBMITTED, CaseSubmitted.class).stream().filter(r -> r.caseId().equals(caseId)).count();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void brokerKilledAndRestartedOnItsLogDirectoryLosesAndDuplicatesNoCase() throws Exception {
        withCluster("broker-kill", Map.of(), cl -> {
            ChildJvm broker = cl.startBroker();
            startStages(cl, 2, Map.of(), Map.of());
            Client c = cl.client();
            long start = System.nanoTime();
            Map<String, String> ids = c.submitAll(cohortA);
            Client.await(() -> c.completedCount(ids.keySet()) >= 2, COHORT_TIMEOUT, "two cases did not complete");
            long kill = System.nanoTime();
            broker.kill9();
            long doneAtKill = c.completedCount(ids.keySet());
            assertTrue(doneAtKill < ids.size(), "the kill must hit an unfinished cohort");
            cl.startBroker();
            long back = System.nanoTime();
            verify(c, ids, "broker-kill");
            report("broker-kill", "broker_restart_s", seconds(back - kill), "next_completion_s", nextCompletion(c, ids, kill),
                    "cohort_s", seconds(System.nanoTime() - start), "done_at_kill", doneAtKill);
        });
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void runKilledMidCohortResumesOnTheSameWorkDirectoryAndCompletesEveryCaseOnce() throws Exception {
        Path dir = tmp.resolve("run-kill");
        Path work = dir.resolve("work");
        Path out = dir.resolve("out");
        Path logs = dir.resolve("logs");
        List<String> args = List.of("run", "--input", tmp.resolve("in-a").toString(), "--output", out.toString(),
                "--model", model.toString(), "--work", work.toString(), "--no-tta", "--slabs", "2", "--devices", "cpu",
                "--intake", "2", "--timeout", "170");
        // The killed JVM's consumers stay in their groups until their sessions expire.
        Map<String, String> env = Map.of("STUNET_KAFKA_SESSION_TIMEOUT_MS", "6000", "STUNET_KAFKA_HEARTBEAT_INTERVAL_MS", "1000");
        List<ChildJvm> children = new ArrayList<>();
        try {
            long start = System.nanoTime();
            ChildJvm first = ChildJvm.start("run-1", logs, dir, 1024, env, args);
            children.add(first);
            Path blobs = work.resolve("blobs");
            Client.await(() -> finishedInStore(blobs).size() >= 2 || !first.alive(), COHORT_TIMEOUT,
                    "run did not finish two cases\n" + first.tail());
            assertTrue(first.alive(), "run ended before it could be killed\n" + first.tail());
            long kill = System.nanoTime();
            first.kill9();
            Map<String, String> before = new HashMap<>();
            for (String id : finishedInStore(blobs)) {
                before.put(id, Client.fileIdentity(blobs.resolve(BlobKeys.mask(id))));
            }
            assertTrue(before.size() < cohortA.size(), "the kill must hit an unfinished cohort");

            ChildJvm second = ChildJvm.start("run-2", logs, dir, 1024, env, args);
            children.add(second);
            assertEquals(0, second.awaitExit(COHORT_TIMEOUT), "rerun exit status\n" + second.tail());
            long rerun = System.nanoTime() - kill;
            assertTrue(second.logText().contains(cohortA.size() + " case(s) segmented, 0 failed"), second.tail());
            for (Path f : cohortA) {
                PipelineRunTest.assertSameOutputs(expected, out, CaseFiles.caseName(f));
            }
            before.forEach((id, identity) -> assertEquals(identity,
                    Client.fileIdentity(blobs.resolve(BlobKeys.mask(id))), "a case finished before the kill was redone"));

            // The run's own broker, started alone on its data: what did the topics record?
            ChaosCluster view = new ChaosCluster(dir.resolve("inspect"), model, Map.of());
            ChildJvm broker = view.launch("broker-inspect", 512, Map.of(), List.of("broker", "--dir", work.resolve("kafka").toString()));
            children.add(broker);
            String bootstrap = broker.await("bootstrap (127\\.0\\.0\\.1:\\d+)", ChaosCluster.START_TIMEOUT);
            Map<String, CaseStatus> finalStates = foldStatuses(TopicDump.read(bootstrap, Topics.STATUS, CaseStatus.class));
            Set<String> ids = finalStates.keySet();
            assertEquals(cohortA.size(), ids.size(), "one case per input");
            finalStates.values().forEach(s -> assertEquals(CaseState.COMPLETED, s.state(), s::toString));
            int duplicates = assertCompletionsIdentical(TopicDump.read(bootstrap, Topics.CASE_COMPLETED, CaseCompleted.class), ids);
            report("run-kill", "rerun_to_exit_s", seconds(rerun), "done_at_kill", before.size(),
                    "total_s", seconds(System.nanoTime() - start), "duplicate_completions", duplicates);
        } catch (Throwable t) {
            children.forEach(ch -> System.err.println(ch.tail()));
            throw t;
        } finally {
            children.forEach(ChildJvm::close);
        }
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void oneThenTwoInferProcessesAndAThirdStartedWhileBusyProcessEveryCaseOnce() throws Exception {
        withCluster("scale-out", Map.of(), cl -> {
            cl.startBroker();
            startStages(cl, 1, Map.of(), Map.of());
            Client c = cl.client();

            long t1 = System.nanoTime();
            Map<String, String> a = c.submitAll(cohortA);
            verify(c, a, "scale-out-1");
            double one = seconds(System.nanoTime() - t1);

            ChildJvm infer2 = cl.startStage("infer", "infer-2", Map.of());
            ChaosCluster.awaitAssigned(infer2, "infer");
            long t2 = System.nanoTime();
            Map<String, String> b = c.submitAll(cohortB);
            verify(c, b, "scale-out-2");
            double two = seconds(System.nanoTime() - t2);

            long t3 = System.nanoTime();
            Map<String, String> ids = c.submitAll(cohortC);
            Client.await(() -> c.completedCount(ids.keySet()) >= 2, COHORT_TIMEOUT, "two cases did not complete");
            long doneAtJoin = c.completedCount(ids.keySet());
            assertTrue(doneAtJoin < ids.size(), "the third process must join a busy cohort");
            long join = System.nanoTime();
            ChildJvm infer3 = cl.startStage("infer", "infer-3", Map.of());
            ChaosCluster.awaitAssigned(infer3, "infer");
            double joined = seconds(System.nanoTime() - join);
            verify(c, ids, "scale-out-3");
            double three = seconds(System.nanoTime() - t3);
            Map<String, Long> perSlab = c.read(Topics.TILE_SEGMENTED, TileSegmented.class).stream()
                    .filter(t -> ids.containsKey(t.caseId()))
                    .collect(Collectors.groupingBy(t -> t.caseId() + "/" + t.slab(), Collectors.counting()));
            long slabsTwice = perSlab.values().stream().filter(n -> n > 1).count();
            report("throughput", "cases", cohortA.size(), "one_infer_s", one, "one_infer_cases_per_min", 60 * cohortA.size() / one,
                    "two_infer_s", two, "two_infer_cases_per_min", 60 * cohortB.size() / two);
            report("scale-out", "cohort_s", three, "cases_per_min", 60 * cohortC.size() / three, "join_to_assigned_s", joined,
                    "done_at_join", doneAtJoin, "slab_results_published_twice", slabsTwice);
        });
    }

    // ---- support -------------------------------------------------------------------------

    interface Scenario {
        void run(ChaosCluster cluster) throws Exception;
    }

    /** Runs a scenario on a fresh cluster; on failure prints every child's log tail; always kills the children. */
    private static void withCluster(String name, Map<String, String> config, Scenario s) throws Exception {
        ChaosCluster cl = new ChaosCluster(tmp.resolve(name), model, config);
        try {
            s.run(cl);
        } catch (Throwable t) {
            System.err.println(cl.tails());
            throw t;
        } finally {
            cl.close();
        }
    }

    /**
     * Preprocess, postprocess and {@code infers} infer processes, started in parallel; returns
     * the infer processes once each holds tile partitions.
     */
    private static List<ChildJvm> startStages(ChaosCluster cl, int infers, Map<String, String> preEnv,
                                              Map<String, String> postEnv) {
        List<ChildJvm> all = new ArrayList<>();
        all.add(cl.launchStage("preprocess", "preprocess-1", preEnv));
        all.add(cl.launchStage("postprocess", "postprocess-1", postEnv));
        List<ChildJvm> inferJvms = new ArrayList<>();
        for (int i = 1; i <= infers; i++) {
            inferJvms.add(cl.launchStage("infer", "infer-" + i, Map.of()));
        }
        all.addAll(inferJvms);
        all.forEach(cl::awaitStage);
        ChaosCluster.awaitAssigned(all.get(0), "preprocess");
        ChaosCluster.awaitAssigned(all.get(1), "postprocess");
        inferJvms.forEach(i -> ChaosCluster.awaitAssigned(i, "infer"));
        return inferJvms;
    }

    /**
     * Every case COMPLETED exactly once as the view shows it (one change to COMPLETED, none
     * after), its mask blob never rewritten after that, duplicate completion records identical,
     * and outputs bit-identical to {@code predict}.
     */
    private static void verify(Client c, Map<String, String> ids, String scenario) throws Exception {
        c.awaitFinal(ids.keySet(), COHORT_TIMEOUT);
        for (String id : ids.keySet()) {
            List<CaseState> changes = c.changes(id);
            assertEquals(CaseState.COMPLETED, c.view.get(id).orElseThrow().state(), id + " " + changes);
            assertEquals(1, Collections.frequency(changes, CaseState.COMPLETED), id + " turned COMPLETED once: " + changes);
            assertEquals(CaseState.COMPLETED, changes.get(changes.size() - 1), id + " nothing after COMPLETED: " + changes);
            assertEquals(c.firstMaskIdentity(id), c.maskIdentity(id), id + ": mask written again after completion");
        }
        // The COMPLETED status and the CaseCompleted record go to different topics, so the view can
        // show the status first: wait (bounded) until every case's record is readable too.
        List<List<CaseCompleted>> completed = new ArrayList<>(List.of(List.of()));
        Client.await(() -> {
            completed.set(0, c.read(Topics.CASE_COMPLETED, CaseCompleted.class));
            return completed.get(0).stream().map(CaseCompleted::caseId).collect(Collectors.toSet()).containsAll(ids.keySet());
        }, Duration.ofSeconds(30), "a CaseCompleted record for every case", 500);
        int duplicates = assertCompletionsIdentical(completed.get(0), ids.keySet());
        Path out = tmp.resolve(scenario + "-out");
        Files.createDirectories(out);
        for (Map.Entry<String, String> e : ids.entrySet()) {
            PipelineRun.writeOutputs(c.runtime.store(), e.getKey(), e.getValue(), out);
            PipelineRunTest.assertSameOutputs(expected, out, e.getValue());
        }
        report(scenario, "cases", ids.size(), "duplicate_completion_records", duplicates);
    }

    /** At least one completion record per case, and all of a case's records name the same outputs; returns the surplus. */
    private static int assertCompletionsIdentical(List<CaseCompleted> records, Set<String> ids) {
        Map<String, List<CaseCompleted>> byCase = records.stream().filter(r -> ids.contains(r.caseId()))
                .collect(Collectors.groupingBy(CaseCompleted::caseId));
        int surplus = 0;
        for (String id : ids) {
            List<CaseCompleted> rs = byCase.getOrDefault(id, List.of());
            assertTrue(!rs.isEmpty(), id + " has no CaseCompleted");
            assertEquals(1, rs.stream().map(r -> r.mask().sha256() + r.stats().sha256()).distinct().count(),
                    id + ": completions name different outputs");
            surplus += rs.size() - 1;
        }
        return surplus;
    }

    /** The latest status per case, folded as the status view folds them. */
    private static Map<String, CaseStatus> foldStatuses(List<CaseStatus> records) {
        Map<String, CaseStatus> latest = new LinkedHashMap<>();
        for (CaseStatus s : records) {
            latest.put(s.caseId(), CaseStatusView.merge(latest.get(s.caseId()), s));
        }
        return latest;
    }

    /** Case ids whose outputs are complete in a local store (postprocess stores statistics last). */
    private static List<String> finishedInStore(Path blobs) {
        Path cases = blobs.resolve("cases");
        if (!Files.isDirectory(cases)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(cases)) {
            return s.map(d -> d.getFileName().toString()).filter(id -> Files.exists(blobs.resolve(BlobKeys.stats(id)))).toList();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    /** Seconds from {@code kill} to the first case completion after it. */
    private static double nextCompletion(Client c, Map<String, String> ids, long kill) {
        return seconds(ids.keySet().stream().map(c::completedAt).filter(t -> t != null && t > kill)
                .mapToLong(Long::longValue).min().orElseThrow() - kill);
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static void report(String scenario, Object... kv) {
        StringBuilder sb = new StringBuilder("chaos scenario=").append(scenario);
        for (int i = 0; i + 1 < kv.length; i += 2) {
            Object v = kv[i + 1];
            sb.append(' ').append(kv[i]).append('=')
                    .append(v instanceof Double d ? String.format(Locale.ROOT, "%.1f", d) : v);
        }
        System.out.println(sb);
    }
}
