package io.stunet.postprocess.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import io.stunet.dicom.DicomSeries;
import io.stunet.dicom.SegWriter;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.nifti.NiftiReader;
import io.stunet.testing.Python;
import io.stunet.testing.TestData;
import io.stunet.volume.Volume;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * STOW-RS delivery of a real SEG (written by SegWriter from TotalSegmentator's mask of the
 * bundled CT, on a series generated from that CT with pydicom) to a DICOMweb receiver in the
 * test: the JDK's HTTP server on 127.0.0.1, which records every request. The body is taken
 * apart here by the boundary its Content-Type names, and the one part's bytes must be the SEG
 * file's bytes exactly. A refusing, silent or absent destination must give the retriable
 * UNAVAILABLE, and the bearer token must never reach the logs.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StowSenderTest {
    private static final String TOKEN = "stow-test-token-6f1c2e";

    @TempDir
    static Path tmp;
    static byte[] seg;

    private record Received(String method, String path, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> values = headers.get(name);
            return values == null ? null : String.join(",", values);
        }
    }

    private HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile int answer = 200;
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile boolean hold;
    private ListAppender<ILoggingEvent> logs;
    private Logger root;

    @BeforeAll
    static void writeSeg() throws Exception {
        Path series = tmp.resolve("series");
        Python.run(TestData.file("tools/dicom/dicom_reference.py"), "make-series",
                TestData.file("data/samples/example_ct_sm.nii.gz").toString(), series.toString(), "--ts=implicit");
        DicomSeries s = DicomSeries.assemble(DicomSeries.scan(series).values().iterator().next());
        Volume mask = NiftiReader.read(TestData.nifti("example_seg.nii.gz"));
        Volume onGrid = Volume.wrap(mask.header().withAffine(s.info().affine()), mask.data());
        TreeSet<Integer> labels = new TreeSet<>();
        for (int i = 0; i < onGrid.frameSize(); i++) {
            labels.add((int) onGrid.rawValue(i));
        }
        labels.remove(0);
        List<SegWriter.SegmentClass> classes = new ArrayList<>();
        for (int label : labels) {
            classes.add(new SegWriter.SegmentClass(label, "class " + label));
        }
        Path file = tmp.resolve("seg.dcm");
        SegWriter.write(file, onGrid, s.info(), classes, "STU-Net test", "1.0");
        seg = Files.readAllBytes(file);
        assertEquals("DICM", new String(seg, 128, 4, StandardCharsets.US_ASCII), "a Part 10 file");
    }

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    new TreeMap<>(exchange.getRequestHeaders()), body));
            if (hold) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] reply = "{}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/dicom+json");
            exchange.sendResponseHeaders(answer, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.start();
        root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        root.detachAppender(logs);
        for (ILoggingEvent e : logs.list) {
            assertFalse(e.getFormattedMessage().contains(TOKEN), "token in a log line: " + e.getFormattedMessage());
        }
    }

    private String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/dicomweb/";
    }

    @Test
    void postsTheSegAsOneApplicationDicomPartWithTheBearerToken() {
        int status = new StowSender(base(), TOKEN, Duration.ofSeconds(10)).send("case-1", seg);

        assertEquals(200, status);
        assertEquals(1, received.size());
        Received r = received.get(0);
        assertEquals("POST", r.method());
        assertEquals("/dicomweb/studies", r.path());
        assertEquals("Bearer " + TOKEN, r.header("Authorization"));
        assertEquals("application/dicom+json", r.header("Accept"));
        List<Part> parts = parseMultipart(r.header("Content-type"), r.body());
        assertEquals(1, parts.size());
        assertEquals("application/dicom", parts.get(0).contentType());
        assertArrayEquals(seg, parts.get(0).bytes(), "the part must be the SEG file byte for byte");
        assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().startsWith("event=stow_sent case=case-1")),
                "the delivery is logged");
    }

    @Test
    void acceptedWithoutTokenSendsNoAuthorization() {
        answer = 202;
        assertEquals(202, new StowSender(base().replaceAll("/$", ""), null, Duration.ofSeconds(10)).send("case-2", seg));
        assertEquals(1, received.size());
        assertEquals("/dicomweb/studies", received.get(0).path());
        assertNull(received.get(0).header("Authorization"));
    }

    @Test
    void serverErrorIsRetriableUnavailable() {
        answer = 500;
        StowSender sender = new StowSender(base(), TOKEN, Duration.ofSeconds(10));
        StunetException e = assertThrows(StunetException.class, () -> sender.send("case-3", seg));
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertTrue(e.code().retriable());
        assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
        assertFalse(e.getMessage().contains(TOKEN));
        assertEquals(1, received.size(), "one attempt per call; the stage does the retrying");
    }

    @Test
    void silentDestinationTimesOutRetriably() {
        hold = true;
        StowSender sender = new StowSender(base(), TOKEN, Duration.ofMillis(500));
        long started = System.nanoTime();
        StunetException e = assertThrows(StunetException.class, () -> sender.send("case-4", seg));
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertTrue(ms < 10_000, "timeout took " + ms + " ms");
    }

    @Test
    void closedPortIsRetriableUnavailable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        StowSender sender = new StowSender("http://127.0.0.1:" + port, TOKEN, Duration.ofSeconds(5));
        StunetException e = assertThrows(StunetException.class, () -> sender.send("case-5", seg));
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
    }

    @Test
    void badDestinationIsInvalidConfig() {
        for (String url : List.of("ftp://host/dicomweb", "not a url", "http://user:secret@host/dicomweb")) {
            StunetException e = assertThrows(StunetException.class, () -> new StowSender(url, null, Duration.ofSeconds(1)), url);
            assertEquals(ErrorCode.INVALID_CONFIG, e.code(), url);
            assertFalse(e.getMessage().contains("secret"), e.getMessage());
        }
    }

    private record Part(String contentType, byte[] bytes) {
    }

    /** RFC 2046 multipart: parts between "--boundary" delimiter lines, the last one followed by "--". */
    private static List<Part> parseMultipart(String contentType, byte[] body) {
        assertTrue(contentType.startsWith("multipart/related"), contentType);
        Matcher type = Pattern.compile(";\\s*type=\"?([^\";]+)\"?").matcher(contentType);
        assertTrue(type.find(), contentType);
        assertEquals("application/dicom", type.group(1));
        Matcher b = Pattern.compile(";\\s*boundary=\"?([^\";]+)\"?").matcher(contentType);
        assertTrue(b.find(), "no boundary in " + contentType);
        byte[] delimiter = ("--" + b.group(1)).getBytes(StandardCharsets.US_ASCII);
        List<Part> parts = new ArrayList<>();
        int at = indexOf(body, delimiter, 0);
        assertEquals(0, at, "body must open with the delimiter");
        while (true) {
            int after = at + delimiter.length;
            if (body[after] == '-' && body[after + 1] == '-') {
                break;
            }
            assertEquals('\r', body[after]);
            assertEquals('\n', body[after + 1]);
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), after + 2);
            assertTrue(headersEnd > 0, "part headers not terminated");
            String headers = new String(body, after + 2, headersEnd - after - 2, StandardCharsets.US_ASCII);
            String partType = null;
            for (String line : headers.split("\r\n")) {
                int colon = line.indexOf(':');
                if (line.substring(0, colon).trim().equalsIgnoreCase("Content-Type")) {
                    partType = line.substring(colon + 1).trim();
                }
            }
            byte[] next = new byte[delimiter.length + 2];
            next[0] = '\r';
            next[1] = '\n';
            System.arraycopy(delimiter, 0, next, 2, delimiter.length);
            int end = indexOf(body, next, headersEnd + 4);
            assertTrue(end > 0, "part not closed by a delimiter");
            parts.add(new Part(partType, Arrays.copyOfRange(body, headersEnd + 4, end)));
            at = end + 2;
        }
        return parts;
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
