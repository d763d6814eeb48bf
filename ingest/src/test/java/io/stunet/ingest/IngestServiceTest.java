package io.stunet.ingest;

import io.stunet.config.StunetConfig;
import io.stunet.error.ErrorCode;
import io.stunet.kafka.Outbound;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.metrics.ServiceRoutes;
import io.stunet.records.CaseIds;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.CaseSubmitted;
import io.stunet.records.DeadLetter;
import io.stunet.records.RecordCodec;
import io.stunet.store.BlobKeys;
import io.stunet.store.Digests;
import io.stunet.testing.TestData;
import io.stunet.topics.Topics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ingest service against the real embedded broker and a local-directory store, driven
 * over HTTP with java.net.http: one broker and one deployed service for the whole class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IngestServiceTest {
    private static final String MODEL = "5e".repeat(32);
    private static final String TOKEN = "s3cr3t-token";
    private static final int MAX_BODY = 1 << 20;
    private static final long STABLE_MS = 600;

    private Path dir;
    private Path roots;
    private Path inbox;
    private Vertx vertx;
    private StreamingRuntime runtime;
    private IngestService service;
    private HttpClient http;
    private String base;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("ingest-test");
        roots = Files.createDirectories(dir.resolve("roots"));
        inbox = dir.resolve("inbox");
        StunetConfig config = StunetConfig.load(null, Map.of(), Map.ofEntries(
                Map.entry("kafka.embedded.dir", dir.resolve("kafka").toString()),
                Map.entry("store.local.root", dir.resolve("blobs").toString()),
                Map.entry("topics.partitions.case", "2"), Map.entry("topics.partitions.tile", "2"),
                Map.entry("http.host", "127.0.0.1"), Map.entry("http.port", "0"),
                Map.entry("ingest.auth.tokens", "other-token," + TOKEN),
                Map.entry("ingest.max.body.bytes", Integer.toString(MAX_BODY)),
                Map.entry("ingest.upload.dir", dir.resolve("spool").toString()),
                Map.entry("dicom.spool.dir", dir.resolve("dicom").toString()),
                Map.entry("ingest.uri.roots", roots.toString()),
                Map.entry("ingest.inbox.dir", inbox.toString()),
                Map.entry("ingest.inbox.stable.ms", Long.toString(STABLE_MS))));
        vertx = Vertx.vertx();
        runtime = StreamingRuntime.start(vertx, config, "ingest", io.stunet.testing.TestBrokers::embedded);
        service = IngestService.deploy(runtime, MODEL).await(60, TimeUnit.SECONDS);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        base = "http://127.0.0.1:" + service.port();
    }

    @AfterAll
    void stop() throws Exception {
        vertx.close().await(30, TimeUnit.SECONDS);
        runtime.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void uploadCreatesReceivedCaseAndResubmissionReturnsIt() throws Exception {
        byte[] scan = Files.readAllBytes(TestData.nifti("example_ct_sm.nii.gz"));
        String expectedId = CaseIds.derive(Digests.sha256Hex(scan), MODEL, SubmitOptions.defaults());

        HttpResponse<String> first = send(post("/v1/cases?name=ct.nii.gz", scan).header("Authorization", "Bearer " + TOKEN));
        assertEquals(202, first.statusCode(), first.body());
        JsonObject body = new JsonObject(first.body());
        assertEquals(expectedId, body.getString("caseId"));
        assertEquals("RECEIVED", body.getString("state"));
        assertEquals("/v1/cases/" + expectedId, first.headers().firstValue("Location").orElseThrow());

        List<CaseSubmitted> submitted = TopicReader.awaitRecords(runtime.bootstrap(), Topics.CASE_SUBMITTED,
                CaseSubmitted.class, r -> r.caseId().equals(expectedId), Duration.ofSeconds(30));
        assertEquals(1, submitted.size());
        CaseSubmitted rec = submitted.get(0);
        assertEquals(BlobKeys.input(expectedId), rec.input().key());
        assertEquals("ct.nii.gz", rec.inputName());
        assertEquals(MODEL, rec.modelSha256());
        assertEquals(SubmitOptions.defaults(), rec.options());
        assertArrayEquals(scan, runtime.store().get(rec.input()), "the stored input is the uploaded bytes");

        await("status RECEIVED visible", () -> service.statusView().get(expectedId).isPresent());
        HttpResponse<String> status = send(get("/v1/cases/" + expectedId));
        assertEquals(200, status.statusCode());
        assertEquals("RECEIVED", new JsonObject(status.body()).getString("state"));

        HttpResponse<String> again = send(post("/v1/cases?name=ct.nii.gz", scan).header("Authorization", "Bearer " + TOKEN));
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(expectedId, new JsonObject(again.body()).getString("caseId"));
        assertTrue(new JsonObject(again.body()).getBoolean("existing"));

        HttpResponse<String> otherOptions = send(post("/v1/cases?tta=false&step=0.50", scan)
                .header("Authorization", "Bearer " + TOKEN));
        assertEquals(202, otherOptions.statusCode(), otherOptions.body());
        Map<String, String> noTta = SubmitOptions.canonical(false, 0.5, "nearest", false);
        assertEquals(CaseIds.derive(Digests.sha256Hex(scan), MODEL, noTta), new JsonObject(otherOptions.body()).getString("caseId"));

        String scrape = runtime.metrics().scrape();
        assertTrue(scrape.contains("stunet_ingest_cases_total{outcome=\"accepted\",service=\"ingest\",source=\"http\"} 2.0"), scrape);
        assertTrue(scrape.contains("stunet_ingest_cases_total{outcome=\"existing\",service=\"ingest\",source=\"http\"} 1.0"), scrape);
        assertTrue(scrape.contains("stunet_ingest_request_seconds_count{method=\"POST\",route=\"/v1/cases\""), scrape);
        assertTrue(scrape.contains("stunet_ingest_upload_bytes_total"), scrape);
    }

    @Test
    void apiNeedsTheBearerTokenButOperationalEndpointsDoNot() throws Exception {
        HttpResponse<String> none = send(HttpRequest.newBuilder(URI.create(base + "/v1/cases/" + "0".repeat(32))).GET());
        assertEquals(401, none.statusCode());
        assertEquals(ErrorCode.UNAUTHORIZED.name(), new JsonObject(none.body()).getString("code"));
        HttpResponse<String> wrong = send(HttpRequest.newBuilder(URI.create(base + "/v1/events"))
                .header("Authorization", "Bearer " + TOKEN + "x").GET());
        assertEquals(401, wrong.statusCode());
        HttpResponse<String> upload = send(post("/v1/cases", new byte[] {1, 2, 3}));
        assertEquals(401, upload.statusCode());
        assertEquals(200, send(HttpRequest.newBuilder(URI.create(base + "/health/live")).GET()).statusCode());
        assertEquals(200, send(HttpRequest.newBuilder(URI.create(base + "/metrics")).GET()).statusCode());
        await("ready", () -> runtime.health().ready());
        assertEquals(200, send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).GET()).statusCode());
        HttpResponse<String> known = send(get("/v1/cases/" + "0".repeat(32)));
        assertEquals(404, known.statusCode(), "with the token the request reaches the API");
        HttpResponse<String> noRoute = send(get("/v1/nothing"));
        assertEquals(404, noRoute.statusCode());
        assertEquals(ErrorCode.NOT_FOUND.name(), new JsonObject(noRoute.body()).getString("code"));
    }

    @Test
    void bodiesOverTheLimitAreRefusedWith413() throws Exception {
        String auth = "Authorization: Bearer " + TOKEN + "\r\n";
        // Declared too large: refused before the body is read.
        String declared = rawExchange("POST /v1/cases HTTP/1.1\r\nHost: x\r\n" + auth
                + "Content-Type: application/octet-stream\r\nContent-Length: " + (MAX_BODY + 1) + "\r\n\r\n", null);
        assertTrue(declared.startsWith("HTTP/1.1 413"), declared);
        assertTrue(declared.contains(ErrorCode.PAYLOAD_TOO_LARGE.name()), declared);
        // Chunked, no length: refused once the count passes the limit.
        String chunked = rawExchange("POST /v1/cases HTTP/1.1\r\nHost: x\r\n" + auth
                + "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n", new byte[MAX_BODY + 1]);
        assertTrue(chunked.startsWith("HTTP/1.1 413"), chunked);
        await("the partial upload is deleted", () -> {
            try (Stream<Path> spooled = Files.list(dir.resolve("spool"))) {
                return spooled.noneMatch(p -> p.getFileName().toString().startsWith("upload-"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** Sends raw request bytes (and a chunked body, if any) and returns what the server answered. */
    private String rawExchange(String head, byte[] chunkedBody) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", service.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            if (chunkedBody != null) {
                try {
                    for (int off = 0; off < chunkedBody.length; off += 65536) {
                        int n = Math.min(65536, chunkedBody.length - off);
                        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(chunkedBody, off, n);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException closedByServer) {
                    // Expected once the server has answered 413 and closed the connection.
                }
            }
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void pathTraversalIsRefusedWith400() throws Exception {
        for (String path : List.of("/v1/cases/../../etc/passwd", "/v1/cases/%2e%2e%2fsecret", "/v1/cases/..%2F..%2Fx/mask",
                "/v1/cases/not-a-case-id")) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("Authorization", "Bearer " + TOKEN).GET());
            assertEquals(400, r.statusCode(), path);
            assertEquals(ErrorCode.INVALID_REQUEST.name(), new JsonObject(r.body()).getString("code"), path);
        }
        Path outside = TestData.nifti("example_mr_sm.nii.gz");
        Path inside = Files.copy(outside, roots.resolve("mr.nii.gz"));
        for (String uri : List.of(roots + "/../" + roots.getFileName() + "/mr.nii.gz", outside.toString(),
                "file://" + outside, "s3://somebucket/mr.nii.gz", "relative/mr.nii.gz")) {
            HttpResponse<String> r = send(postJson(new JsonObject().put("uri", uri)));
            assertEquals(400, r.statusCode(), uri + ": " + r.body());
            assertEquals(ErrorCode.INVALID_REQUEST.name(), new JsonObject(r.body()).getString("code"));
        }
        Path link = Files.createSymbolicLink(roots.resolve("link.nii.gz"), outside);
        assertEquals(400, send(postJson(new JsonObject().put("uri", link.toString()))).statusCode(),
                "a link inside a root that points outside is refused");

        HttpResponse<String> ok = send(postJson(new JsonObject().put("uri", "file://" + inside).put("preview", true)));
        assertEquals(202, ok.statusCode(), ok.body());
        Map<String, String> withPreview = SubmitOptions.canonical(true, 0.5, "nearest", true);
        assertEquals(CaseIds.derive(Digests.sha256Hex(Files.readAllBytes(outside)), MODEL, withPreview),
                new JsonObject(ok.body()).getString("caseId"));

        // Output options enter the case id in canonical form (sorted names), as an array or a string.
        HttpResponse<String> subset = send(postJson(new JsonObject().put("uri", "file://" + inside).put("preview", true)
                .put("classes", new io.vertx.core.json.JsonArray().add("spleen").add("liver")).put("perClass", true)));
        assertEquals(202, subset.statusCode(), subset.body());
        Map<String, String> withSubset = SubmitOptions.canonical(true, 0.5, "nearest", true, List.of("liver", "spleen"), true);
        assertEquals("liver,spleen", withSubset.get("classes"));
        String subsetId = new JsonObject(subset.body()).getString("caseId");
        assertEquals(CaseIds.derive(Digests.sha256Hex(Files.readAllBytes(outside)), MODEL, withSubset), subsetId);
        HttpResponse<String> same = send(postJson(new JsonObject().put("uri", "file://" + inside).put("preview", true)
                .put("classes", "liver, spleen,liver").put("perClass", "true")));
        assertEquals(200, same.statusCode(), same.body());
        assertEquals(subsetId, new JsonObject(same.body()).getString("caseId"));
        // Defaults add no keys, so cases submitted without the output options keep their ids.
        assertEquals(withPreview, SubmitOptions.canonical(true, 0.5, "nearest", true, List.of(), false));
        assertEquals(java.util.Set.of("tta", "step", "export", "preview"), SubmitOptions.defaults().keySet());
    }

    @Test
    void aBodyThatIsNotNiftiIsRefusedAndDeadLettered() throws Exception {
        byte[] text = "this is not a NIfTI file, it is a text file that is long enough to hold a header. ".repeat(8)
                .getBytes(StandardCharsets.US_ASCII);
        HttpResponse<String> r = send(post("/v1/cases", text).header("Authorization", "Bearer " + TOKEN));
        assertEquals(422, r.statusCode(), r.body());
        JsonObject err = new JsonObject(r.body());
        assertEquals(ErrorCode.INVALID_NIFTI.name(), err.getString("code"));
        String caseId = err.getString("caseId");
        assertEquals(CaseIds.derive(Digests.sha256Hex(text), MODEL, SubmitOptions.defaults()), caseId);

        List<DeadLetter> letters = TopicReader.awaitRecords(runtime.bootstrap(), Topics.DLQ, DeadLetter.class,
                d -> caseId.equals(d.caseId()), Duration.ofSeconds(30));
        assertEquals(1, letters.size());
        DeadLetter d = letters.get(0);
        assertEquals("ingest", d.stage());
        assertEquals(ErrorCode.INVALID_NIFTI, d.errorCode());
        CaseSubmitted original = RecordCodec.decode(d.originalValue(), CaseSubmitted.class);
        assertArrayEquals(text, runtime.store().get(original.input()), "the refused bytes are kept for inspection");

        await("FAILED status", () -> service.statusView().get(caseId).map(s -> s.state() == CaseState.FAILED).orElse(false));
        JsonObject status = new JsonObject(send(get("/v1/cases/" + caseId)).body());
        assertEquals("FAILED", status.getString("state"));
        assertEquals(ErrorCode.INVALID_NIFTI.name(), status.getString("errorCode"));
        assertTrue(runtime.metrics().scrape().contains("outcome=\"refused\""));
        await("cases-by-state gauge counts the failed case", () -> {
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("stunet_cases\\{service=\"ingest\",state=\"FAILED\"} ([0-9.]+)")
                    .matcher(runtime.metrics().scrape());
            return m.find() && Double.parseDouble(m.group(1)) >= 1;
        });
    }

    @Test
    void eventsStreamStatusChangesAndResultsAppearWhenCompleted() throws Exception {
        String caseId = CaseIds.derive("ab".repeat(32), MODEL, Map.of());
        HttpResponse<String> early = send(get("/v1/cases/" + caseId + "/mask"));
        assertEquals(404, early.statusCode());

        CompletableFuture<HttpResponse<Stream<String>>> stream = http.sendAsync(
                HttpRequest.newBuilder(URI.create(base + "/v1/events?case=" + caseId))
                        .header("Authorization", "Bearer " + TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofLines());
        HttpResponse<Stream<String>> events = stream.get(30, TimeUnit.SECONDS);
        assertEquals(200, events.statusCode());
        assertEquals("text/event-stream", events.headers().firstValue("Content-Type").orElseThrow());
        Iterator<String> lines = events.body().iterator();
        assertTrue(lines.next().startsWith(":"), "the stream opens with a comment");

        // As a stage would: a status record on the compacted topic.
        runtime.publisher().publish(Outbound.status(CaseStatus.of(caseId, CaseState.PREPROCESSING, 0.25, "preprocess")))
                .await(30, TimeUnit.SECONDS);
        JsonObject event = nextEvent(lines);
        assertEquals(caseId, event.getString("caseId"));
        assertEquals("PREPROCESSING", event.getString("state"));
        assertEquals(0.25, event.getDouble("progress"));
        assertEquals(404, send(get("/v1/cases/" + caseId + "/mask")).statusCode(), "no mask before COMPLETED");

        byte[] mask = new byte[4096];
        new Random(7).nextBytes(mask);
        runtime.store().put(BlobKeys.mask(caseId), mask);
        runtime.store().put(BlobKeys.stats(caseId), "{\"classes\":[]}".getBytes(StandardCharsets.UTF_8));
        runtime.publisher().publish(Outbound.status(CaseStatus.of(caseId, CaseState.COMPLETED, 1.0, "postprocess")))
                .await(30, TimeUnit.SECONDS);
        assertEquals("COMPLETED", nextEvent(lines).getString("state"));
        events.body().close();

        HttpResponse<byte[]> maskResponse = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/cases/" + caseId + "/mask"))
                .header("Authorization", "Bearer " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, maskResponse.statusCode());
        assertEquals("application/gzip", maskResponse.headers().firstValue("Content-Type").orElseThrow());
        assertArrayEquals(mask, maskResponse.body());
        HttpResponse<String> stats = send(get("/v1/cases/" + caseId + "/stats"));
        assertEquals(200, stats.statusCode());
        assertEquals(new JsonObject("{\"classes\":[]}"), new JsonObject(stats.body()));
    }

    @Test
    void inboxTakesAFileOnlyOnceItIsCompleteAndMovesIt() throws Exception {
        byte[] scan = Files.readAllBytes(TestData.nifti("example_nifti2.nii.gz"));
        String expectedId = CaseIds.derive(Digests.sha256Hex(scan), MODEL, SubmitOptions.defaults());
        Path target = inbox.resolve("slow.nii.gz");
        int chunks = 8;
        int chunk = (scan.length + chunks - 1) / chunks;
        try (OutputStream out = Files.newOutputStream(target)) {
            for (int i = 0; i < chunks; i++) {
                out.write(scan, i * chunk, Math.min(chunk, scan.length - i * chunk));
                out.flush();
                Thread.sleep(STABLE_MS / 3);
                assertTrue(Files.exists(target), "a file still being written stays in the inbox");
            }
        }
        Path processed = inbox.resolve(InboxWatcher.PROCESSED).resolve("slow.nii.gz");
        await("moved to processed/", () -> Files.exists(processed) && !Files.exists(target));
        assertArrayEquals(scan, Files.readAllBytes(processed));
        List<CaseSubmitted> submitted = TopicReader.awaitRecords(runtime.bootstrap(), Topics.CASE_SUBMITTED,
                CaseSubmitted.class, r -> r.caseId().equals(expectedId), Duration.ofSeconds(30));
        assertEquals(1, submitted.size(), "the case id is that of the complete file");
        assertEquals("slow.nii.gz", submitted.get(0).inputName());

        Path junk = inbox.resolve("junk.nii");
        Files.write(junk, new byte[1000]);
        Files.createFile(inbox.resolve("junk.nii" + InboxWatcher.DONE));
        Path failed = inbox.resolve(InboxWatcher.FAILED).resolve("junk.nii");
        await("refused file moved to failed/", () -> Files.exists(failed) && !Files.exists(junk)
                && !Files.exists(inbox.resolve("junk.nii" + InboxWatcher.DONE)));
    }

    @Test
    void submitFileIsTheSameCodePathForRun() throws Exception {
        Path file = TestData.nifti("anatomical.nii");
        Map<String, String> options = SubmitOptions.canonical(true, 0.5, "linear", false);
        String caseId = service.submitFile(file, options).await(60, TimeUnit.SECONDS);
        assertEquals(CaseIds.derive(Digests.sha256Hex(Files.readAllBytes(file)), MODEL, options), caseId);
        assertEquals(caseId, service.submitFile(file, options).await(60, TimeUnit.SECONDS), "resubmission gives the same id");
        assertTrue(Files.exists(file), "the file is read, not moved");
    }

    @Test
    void aCaseLeftReceivedWithoutItsSubmissionIsHandedOverWhenSubmittedAgain() throws Exception {
        Path file = TestData.nifti("anatomical.nii");
        Map<String, String> options = SubmitOptions.canonical(false, 0.5, "nearest", false);
        String caseId = CaseIds.derive(Digests.sha256Hex(Files.readAllBytes(file)), MODEL, options);
        // What an ingest stopped between its two publishes leaves: the input stored and RECEIVED
        // published, no CaseSubmitted on its topic and no mark in the store.
        runtime.store().putFile(BlobKeys.input(caseId), file);
        runtime.publisher().publish(Outbound.status(CaseStatus.of(caseId, CaseState.RECEIVED, 0.0, "ingest")))
                .await(30, TimeUnit.SECONDS);
        await("the stranded RECEIVED visible", () -> service.statusView().get(caseId).isPresent());
        assertFalse(runtime.store().exists(BlobKeys.submitted(caseId)));

        assertEquals(caseId, service.submitFile(file, options).await(60, TimeUnit.SECONDS));
        List<CaseSubmitted> handedOver = TopicReader.readAll(runtime.bootstrap(), Topics.CASE_SUBMITTED,
                CaseSubmitted.class, r -> r.caseId().equals(caseId));
        assertEquals(1, handedOver.size(), "submitting again published the missing CaseSubmitted");
        CaseSubmitted mark = RecordCodec.decode(runtime.store().get(BlobKeys.submitted(caseId)), CaseSubmitted.class);
        assertEquals(handedOver.get(0), mark, "the mark is the published record");

        // Now handed over, the case is existing: a further submission publishes nothing.
        assertEquals(caseId, service.submitFile(file, options).await(60, TimeUnit.SECONDS));
        assertEquals(1, TopicReader.readAll(runtime.bootstrap(), Topics.CASE_SUBMITTED, CaseSubmitted.class,
                r -> r.caseId().equals(caseId)).size(), "no second CaseSubmitted for a handed-over case");
    }

    @Test
    void theApiMountsOnARouterThatAnotherServerServes() throws Exception {
        Router shared = ServiceRoutes.create(vertx, runtime.metrics(), runtime.health());
        HttpServer server = ServiceRoutes.listen(vertx, shared, "127.0.0.1", 0).await(30, TimeUnit.SECONDS);
        IngestService second = new IngestService(runtime, MODEL, SubmitOptions.defaults());
        String deployment = second.deploy(shared).await(30, TimeUnit.SECONDS);
        try {
            byte[] scan = Files.readAllBytes(TestData.nifti("example_seg.nii.gz"));
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + "/v1/cases"))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(scan)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(r.statusCode() == 202 || r.statusCode() == 200, r.body());
            assertEquals(CaseIds.derive(Digests.sha256Hex(scan), MODEL, SubmitOptions.defaults()),
                    new JsonObject(r.body()).getString("caseId"));
            assertEquals(-1, second.port(), "no server of its own");
        } finally {
            vertx.undeploy(deployment).await(30, TimeUnit.SECONDS);
            server.close().await(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void openApiDocumentsEveryRoute() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/openapi.yaml")).GET());
        assertEquals(200, r.statusCode());
        Map<String, Object> doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r.body());
        assertEquals("3", doc.get("openapi").toString().substring(0, 1));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> paths = (Map<String, Map<String, Object>>) doc.get("paths");
        Router router = service.router();
        int checked = 0;
        for (Route route : router.getRoutes()) {
            if (route.getPath() == null || route.methods() == null || route.methods().isEmpty() || route.getPath().endsWith("*")) {
                continue;
            }
            String path = route.getPath().replaceAll(":([A-Za-z]+)", "{$1}");
            assertNotNull(paths.get(path), "route " + path + " missing from openapi.yaml");
            for (var m : route.methods()) {
                assertTrue(paths.get(path).containsKey(m.name().toLowerCase()), m + " " + path + " missing from openapi.yaml");
                checked++;
            }
        }
        assertTrue(checked >= 9, "routes checked: " + checked);
    }

    private static JsonObject nextEvent(Iterator<String> lines) {
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.startsWith("data: ")) {
                return new JsonObject(line.substring("data: ".length()));
            }
        }
        throw new AssertionError("event stream ended");
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + TOKEN).GET();
    }

    private HttpRequest.Builder post(String path, byte[] body) {
        return HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private HttpRequest.Builder postJson(JsonObject body) {
        return HttpRequest.newBuilder(URI.create(base + "/v1/cases")).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
