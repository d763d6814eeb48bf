package io.stunet.ingest.dicom;

import io.stunet.dicom.dimse.DicomStatus;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** STOW-RS on a real Vert.x server, posted to with java.net.http; stored files checked with pydicom. */
class StowRoutesTest {
    private static final String BOUNDARY = "stunet-test-boundary-7f3a";
    private static final long MAX_BYTES = 4 * 1024 * 1024;

    @TempDir
    Path tmp;

    private final ConcurrentLinkedQueue<CompletedSeries> handed = new ConcurrentLinkedQueue<>();
    private Vertx vertx;
    private HttpServer server;
    private SeriesSpool spool;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        spool = new SeriesSpool(tmp.resolve("spool"), Duration.ofMinutes(10), handed::add);
        spool.start();
        Router router = Router.router(vertx);
        new StowRoutes(vertx, spool, MAX_BYTES, true).mount(router, "/v1/dicomweb");
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        spool.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aRequestOfGoodAndBadPartsStoresTheGoodOnesAndNamesTheReasons() throws Exception {
        List<Path> series = Tools.series(tmp.resolve("series"), 3, "implicit", true);
        Path ct = Tools.PYDICOM_FILES.resolve("CT_small.dcm");
        byte[] mismatched = Files.readAllBytes(ct);
        // The file meta's SOP instance UID ends in ...12322; a changed last digit no longer matches the data set.
        String text = new String(mismatched, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("20040119072730.12322");
        mismatched[at + 19] = '9';
        List<byte[]> parts = new ArrayList<>();
        for (Path p : series) {
            parts.add(Files.readAllBytes(p));
        }
        parts.add(Files.readAllBytes(ct));
        parts.add(Files.readAllBytes(Tools.PYDICOM_FILES.resolve("SC_rgb_rle.dcm")));
        parts.add(mismatched);
        parts.add("not dicom at all".getBytes(StandardCharsets.US_ASCII));
        byte[] truncated = Files.readAllBytes(Tools.PYDICOM_FILES.resolve("MR_small.dcm"));
        parts.add(java.util.Arrays.copyOf(truncated, truncated.length - 1000));

        HttpResponse<String> r = post("/v1/dicomweb/studies", multipart(parts), contentType());
        assertEquals(202, r.statusCode(), r.body());
        assertEquals(StowRoutes.DICOM_JSON, r.headers().firstValue("Content-Type").orElse(""));
        JsonObject body = new JsonObject(r.body());
        JsonArray referenced = body.getJsonObject("00081199").getJsonArray("Value");
        JsonArray failed = body.getJsonObject("00081198").getJsonArray("Value");
        assertEquals(4, referenced.size(), r.body());
        List<Integer> reasons = new ArrayList<>();
        for (int i = 0; i < failed.size(); i++) {
            reasons.add(failed.getJsonObject(i).getJsonObject("00081197").getJsonArray("Value").getInteger(0));
        }
        assertEquals(List.of(DicomStatus.SOP_CLASS_NOT_SUPPORTED, DicomStatus.DATASET_MISMATCH,
                DicomStatus.CANNOT_UNDERSTAND, DicomStatus.CANNOT_UNDERSTAND), reasons);
        assertEquals("1.2.840.10008.5.1.4.1.1.7", failed.getJsonObject(0).getJsonObject("00081150").getJsonArray("Value")
                .getString(0), "a refused part is named by its SOP class when it has one");

        // The request ends its series (configured), so both are handed over at once.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (handed.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(2, handed.size());
        handed.forEach(s -> assertEquals(CompletedSeries.Reason.EXPLICIT, s.reason()));
        List<Path> sent = new ArrayList<>(series);
        sent.add(ct);
        List<Path> received = Tools.dcmFiles(tmp.resolve("spool/complete"));
        String report = Tools.sameInstances(sent, received);
        assertEquals(4, report.lines().filter(l -> l.contains("\"ok\": true")).count(), report);
    }

    @Test
    void badRequestsAreRefusedAndTheServiceKeepsServing() throws Exception {
        byte[] ct = Files.readAllBytes(Tools.PYDICOM_FILES.resolve("CT_small.dcm"));
        byte[] one = multipart(List.of(ct));
        assertEquals(415, post("/v1/dicomweb/studies", one, "application/dicom").statusCode());
        assertEquals(415, post("/v1/dicomweb/studies", one,
                "multipart/related; type=\"application/dicom+xml\"; boundary=" + BOUNDARY).statusCode());
        assertEquals(400, post("/v1/dicomweb/studies", one, "multipart/related; type=\"application/dicom\"").statusCode());
        assertEquals(400, post("/v1/dicomweb/studies", "no delimiter".getBytes(StandardCharsets.US_ASCII), contentType())
                .statusCode());
        assertEquals("HTTP/1.1 413 Request Entity Too Large", announceTooLarge());

        HttpResponse<String> otherStudy = post("/v1/dicomweb/studies/1.2.3.4", one, contentType());
        assertEquals(409, otherStudy.statusCode(), otherStudy.body());
        assertEquals(DicomStatus.DATASET_MISMATCH, new JsonObject(otherStudy.body()).getJsonObject("00081198")
                .getJsonArray("Value").getJsonObject(0).getJsonObject("00081197").getJsonArray("Value").getInteger(0));

        HttpResponse<String> ok = post("/v1/dicomweb/studies/1.3.6.1.4.1.5962.1.2.1.20040119072730.12322", one, contentType());
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(1, new JsonObject(ok.body()).getJsonObject("00081199").getJsonArray("Value").size());
        assertTrue(Files.list(tmp.resolve("spool/tmp")).findAny().isEmpty(), "request bodies are not left behind");
    }

    /** Sends only the headers of a request announcing a body over the limit; returns the status line. */
    private String announceTooLarge() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.actualPort())) {
            s.setSoTimeout(30_000);
            String head = "POST /v1/dicomweb/studies HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + contentType()
                    + "\r\nContent-Length: " + (MAX_BYTES + 1) + "\r\n\r\n";
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
        }
    }

    private static String contentType() {
        return "multipart/related; type=\"application/dicom\"; boundary=" + BOUNDARY;
    }

    private static byte[] multipart(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(("--" + BOUNDARY + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(p);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private HttpResponse<String> post(String path, byte[] body, String type) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).get(60, TimeUnit.SECONDS);
    }
}
