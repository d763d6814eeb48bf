package io.stunet.ingest.dicom;

import io.stunet.dicom.dimse.Pdu;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The storage SCP on a loopback socket, driven by dcmtk's echoscu and storescu with pydicom's
 * test files and synthetic series; received files are checked with pydicom.
 */
class DimseScpTest {
    private static final Duration QUIET = Duration.ofMillis(500);

    @TempDir
    Path tmp;

    private final ConcurrentLinkedQueue<CompletedSeries> handed = new ConcurrentLinkedQueue<>();
    private SeriesSpool spool;
    private DimseScp scp;

    @BeforeEach
    void start() throws Exception {
        spool = new SeriesSpool(tmp.resolve("spool"), QUIET, handed::add);
        spool.start();
        scp = new DimseScp(new ScpSettings("127.0.0.1", 0, "STUNET", 4, Duration.ofMillis(1500), false), spool);
        scp.start();
    }

    @AfterEach
    void stop() {
        scp.close();
        spool.close();
    }

    @Test
    void echoSucceedsAndAWrongCalledAeTitleIsRejected() throws Exception {
        Tools.Result ok = Tools.echoscu(scp.port(), "STUNET");
        assertEquals(0, ok.exit(), ok.summary());
        Tools.Result wrong = Tools.echoscu(scp.port(), "SOMEONE_ELSE");
        assertNotEquals(0, wrong.exit(), wrong.summary());
        assertTrue(wrong.output().contains("Association Rejected"), wrong.summary());
        assertTrue(wrong.output().contains("Called AE Title Not Recognized"), wrong.summary());
        assertEquals(0, Tools.echoscu(scp.port(), "STUNET").exit());
    }

    @Test
    void storedInstancesMatchWhatWasSentAndEachSeriesIsHandedOverOnce() throws Exception {
        List<Path> uncompressed = new ArrayList<>();
        uncompressed.addAll(Tools.series(tmp.resolve("explicit"), 4, "explicit", true));
        uncompressed.addAll(Tools.series(tmp.resolve("implicit"), 3, "implicit", true));
        uncompressed.add(Tools.PYDICOM_FILES.resolve("CT_small.dcm"));
        List<Path> deflated = Tools.series(tmp.resolve("deflated"), 2, "deflated", true);
        Path rle = Tools.PYDICOM_FILES.resolve("MR_small_RLE.dcm");
        Tools.Result r = Tools.storescu(scp.port(), List.of(), uncompressed);
        assertEquals(0, r.exit(), r.summary());
        Tools.Result d = Tools.storescu(scp.port(), List.of("-xd"), deflated);
        assertEquals(0, d.exit(), d.summary());
        Tools.Result c = Tools.storescu(scp.port(), List.of("-xr"), List.of(rle));
        assertEquals(0, c.exit(), c.summary());
        List<Path> sent = new ArrayList<>(uncompressed);
        sent.addAll(deflated);
        sent.add(rle);

        List<CompletedSeries> series = awaitSeries(5);
        Thread.sleep(3 * QUIET.toMillis());
        assertEquals(5, handed.size(), "every series is handed over exactly once");
        Map<Integer, Integer> sizes = new HashMap<>();
        series.forEach(s -> sizes.merge(s.instances(), 1, Integer::sum));
        assertEquals(Map.of(4, 1, 3, 1, 2, 1, 1, 2), sizes);
        series.forEach(s -> assertEquals(CompletedSeries.Reason.QUIET, s.reason()));

        List<Path> received = Tools.dcmFiles(tmp.resolve("spool/complete"));
        assertEquals(sent.size(), received.size());
        String report = Tools.sameInstances(sent, received);
        assertEquals(sent.size(), report.lines().filter(l -> l.contains("\"ok\": true")).count(), report);
        assertTrue(report.contains("\"transfer_syntax\": \"1.2.840.10008.1.2.5\""), "RLE is kept as sent: " + report);
        assertTrue(report.contains("\"transfer_syntax\": \"1.2.840.10008.1.2.1.99\""), "deflate is kept as sent: " + report);
        assertTrue(report.contains("\"transfer_syntax\": \"1.2.840.10008.1.2\""), "implicit VR is kept as sent: " + report);
        assertTrue(Tools.dcmFiles(tmp.resolve("spool/incoming")).isEmpty());
    }

    @Test
    void refusedObjectsGetAFailureStatusAndTheListenerKeepsServing() throws Exception {
        List<Path> noSeries = Tools.series(tmp.resolve("noseries"), 1, "explicit", false);
        Tools.Result r = Tools.storescu(scp.port(), List.of(), noSeries);
        assertTrue(r.output().contains("0xc000"), r.summary());
        assertTrue(r.output().contains("data set has no SeriesInstanceUID"), r.summary());
        assertTrue(Tools.dcmFiles(tmp.resolve("spool")).isEmpty());

        Tools.Result ok = Tools.storescu(scp.port(), List.of(), List.of(Tools.PYDICOM_FILES.resolve("CT_small.dcm")));
        assertEquals(0, ok.exit(), ok.summary());
        assertEquals(1, awaitSeries(1).size());
    }

    @Test
    void unsupportedSopClassAndTransferSyntaxAreRejectedAtNegotiation() throws Exception {
        // JPEG 2000 lossless (an MR image storage instance): the SOP class is ours, the syntax is not.
        Path jpeg2000 = Tools.PYDICOM_FILES.resolve("MR_small_jp2klossless.dcm");
        Tools.Result ts = Tools.storescu(scp.port(), List.of("-xv"), List.of(jpeg2000));
        assertTrue(ts.output().contains("Transfer Syntaxes Not Supported"), ts.summary());
        Path secondaryCapture = Tools.PYDICOM_FILES.resolve("SC_rgb_rle.dcm");
        Tools.Result sop = Tools.storescu(scp.port(), List.of(), List.of(secondaryCapture));
        assertTrue(sop.output().contains("Abstract Syntax Not Supported"), sop.summary());
        assertTrue(Tools.dcmFiles(tmp.resolve("spool")).isEmpty());
        assertEquals(0, Tools.echoscu(scp.port(), "STUNET").exit());
    }

    @Test
    void jpegLsIsAcceptedAndKeptAsSent() throws Exception {
        Path jpegLs = Tools.PYDICOM_FILES.resolve("MR_small_jpeg_ls_lossless.dcm");
        Tools.Result r = Tools.storescu(scp.port(), List.of("-xt"), List.of(jpegLs));
        assertEquals(0, r.exit(), r.summary());
        assertFalse(r.output().contains("Not Supported"), r.summary());
        assertEquals(1, awaitSeries(1).size());
        List<Path> received = Tools.dcmFiles(tmp.resolve("spool/complete"));
        String report = Tools.sameInstances(List.of(jpegLs), received);
        assertTrue(report.contains("\"ok\": true"), report);
        assertTrue(report.contains("\"transfer_syntax\": \"1.2.840.10008.1.2.4.80\""), "JPEG-LS is kept as sent: " + report);
    }

    @Test
    void aSilentPeerIsDroppedAfterTheIdleTimeout() throws Exception {
        try (Socket s = new Socket("127.0.0.1", scp.port())) {
            s.setSoTimeout(10_000);
            long t0 = System.nanoTime();
            InputStream in = s.getInputStream();
            int first = in.read();
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(first == -1 || first == Pdu.ABORT, "connection closed or aborted, got " + first);
            assertTrue(waitedMs >= 1000 && waitedMs < 8000, "dropped after the idle timeout, waited " + waitedMs + " ms");
        }
        try (Socket s = new Socket("127.0.0.1", scp.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            // The start of an A-ASSOCIATE-RQ header announcing more bytes than ever come.
            out.write(new byte[]{1, 0, 0, 0, 1, 0, 0, 1});
            out.flush();
            InputStream in = s.getInputStream();
            int first = in.read();
            assertTrue(first == -1 || first == Pdu.ABORT, "a stalled PDU ends the association, got " + first);
        }
        assertEquals(0, Tools.echoscu(scp.port(), "STUNET").exit());
    }

    private List<CompletedSeries> awaitSeries(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (handed.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(handed.size() < n, "expected " + n + " series, got " + handed.size());
        return List.copyOf(handed);
    }
}
