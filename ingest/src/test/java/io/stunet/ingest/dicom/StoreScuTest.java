package io.stunet.ingest.dicom;

import io.stunet.dicom.DicomReader;
import io.stunet.dicom.DicomWriter;
import io.stunet.dicom.dimse.DicomStatus;
import io.stunet.dicom.dimse.StoreScu;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.testing.Storescp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our storage SCU against dcmtk's storescp (an independent receiver) and against our own SCP:
 * objects arrive with the same data set, and every way a destination can fail is a typed
 * {@code UNAVAILABLE} error that names the destination and says what happened.
 */
class StoreScuTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static byte[] dataset(byte[] part10) {
        return Arrays.copyOfRange(part10, DicomReader.datasetOffset(part10), part10.length);
    }

    @Test
    void objectsReachStorescpWithTheirDataSetUnchanged() throws Exception {
        try (Storescp pacs = Storescp.start(tmp.resolve("pacs"))) {
            StoreScu scu = new StoreScu(StoreScu.Destination.parse(pacs.destination()), "STUNET", TIMEOUT);
            scu.echo();
            List<Path> sent = List.of(Tools.PYDICOM_FILES.resolve("CT_small.dcm"), Tools.PYDICOM_FILES.resolve("MR_small.dcm"));
            for (Path f : sent) {
                assertEquals(DicomStatus.SUCCESS, scu.send(Files.readAllBytes(f)).status(), f.getFileName().toString());
            }
            List<Path> received = pacs.received();
            assertEquals(2, received.size(), "files storescp wrote: " + received);
            String same = Tools.sameInstances(sent, received);
            assertEquals(2, same.lines().filter(l -> l.contains("\"ok\": true")).count(), same);
            for (Path f : sent) {
                byte[] mine = dataset(Files.readAllBytes(f));
                assertTrue(received.stream().anyMatch(r -> {
                    try {
                        return Arrays.equals(mine, dataset(Files.readAllBytes(r)));
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }), f.getFileName() + " arrived changed");
            }
        }
    }

    @Test
    void ourScuAndOurScpCarryASeriesIntoTheSpool() throws Exception {
        ConcurrentLinkedQueue<CompletedSeries> handed = new ConcurrentLinkedQueue<>();
        try (SeriesSpool spool = new SeriesSpool(tmp.resolve("spool"), Duration.ofMillis(500), handed::add);
             DimseScp scp = new DimseScp(new ScpSettings("127.0.0.1", 0, "STUNET", 4, Duration.ofMillis(1500), false), spool)) {
            spool.start();
            scp.start();
            List<Path> series = Tools.series(tmp.resolve("series"), 3, "explicit", true);
            StoreScu scu = new StoreScu(new StoreScu.Destination("STUNET", "127.0.0.1", scp.port()), "SENDER", TIMEOUT);
            for (Path f : series) {
                assertEquals(DicomStatus.SUCCESS, scu.send(Files.readAllBytes(f)).status());
            }
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (handed.isEmpty() && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertEquals(1, handed.size(), "one series handed over");
            assertEquals(3, Tools.dcmFiles(handed.peek().dir()).size());

            StunetException wrongAe = assertThrows(StunetException.class,
                    () -> new StoreScu(new StoreScu.Destination("SOMEONE_ELSE", "127.0.0.1", scp.port()), "SENDER", TIMEOUT)
                            .send(Files.readAllBytes(series.get(0))));
            assertEquals(ErrorCode.UNAVAILABLE, wrongAe.code());
            assertTrue(wrongAe.getMessage().contains("rejected permanently"), wrongAe.getMessage());
            StunetException notStored = assertThrows(StunetException.class,
                    () -> scu.send(Files.readAllBytes(Tools.PYDICOM_FILES.resolve("SC_rgb_small_odd.dcm"))));
            assertTrue(notStored.getMessage().contains("does not accept SOP class"), notStored.getMessage());
        }
    }

    @Test
    void unreachableRefusingAndSilentDestinationsAreTypedErrorsNamingTheDestination() throws Exception {
        byte[] ct = Files.readAllBytes(Tools.PYDICOM_FILES.resolve("CT_small.dcm"));

        int closed = freePort();
        StunetException refused = assertThrows(StunetException.class,
                () -> new StoreScu(StoreScu.Destination.parse("PACS@127.0.0.1:" + closed), "STUNET", TIMEOUT).send(ct));
        assertEquals(ErrorCode.UNAVAILABLE, refused.code());
        assertTrue(refused.getMessage().startsWith("DICOM destination PACS@127.0.0.1:" + closed + " unreachable"),
                refused.getMessage());
        StunetException noEcho = assertThrows(StunetException.class,
                () -> new StoreScu(StoreScu.Destination.parse("PACS@127.0.0.1:" + closed), "STUNET", TIMEOUT).echo());
        assertEquals(ErrorCode.UNAVAILABLE, noEcho.code());

        try (Storescp refusing = Storescp.start(tmp.resolve("refusing"), "--refuse")) {
            StunetException e = assertThrows(StunetException.class,
                    () -> new StoreScu(StoreScu.Destination.parse(refusing.destination()), "STUNET", TIMEOUT).send(ct));
            assertTrue(e.getMessage().contains("rejected") && e.getMessage().contains("association"), e.getMessage());
        }

        try (Storescp pacs = Storescp.start(tmp.resolve("plain"))) {
            // A SOP class storescp does not know, with the data set of a real CT.
            byte[] unknown = DicomWriter.part10("1.2.826.0.1.3680043.2.1125.99.1", "1.2.826.0.1.3680043.2.1125.99.2",
                    "1.2.840.10008.1.2.1", dataset(ct));
            StunetException e = assertThrows(StunetException.class,
                    () -> new StoreScu(StoreScu.Destination.parse(pacs.destination()), "STUNET", TIMEOUT).send(unknown));
            assertTrue(e.getMessage().contains("does not accept SOP class 1.2.826.0.1.3680043.2.1125.99.1"), e.getMessage());
        }

        try (ServerSocket silent = new ServerSocket(0)) {
            Thread accept = new Thread(() -> {
                try (Socket s = silent.accept()) {
                    Thread.sleep(5000);
                } catch (IOException | InterruptedException ignored) {
                    // the test is over
                }
            });
            accept.start();
            long t0 = System.nanoTime();
            StunetException e = assertThrows(StunetException.class, () -> new StoreScu(
                    new StoreScu.Destination("PACS", "127.0.0.1", silent.getLocalPort()), "STUNET", Duration.ofSeconds(1)).send(ct));
            assertTrue(e.getMessage().contains("did not answer within 1000 ms"), e.getMessage());
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(4).toNanos(), "bounded by the timeout");
            accept.interrupt();
        }

        StunetException badSpec = assertThrows(StunetException.class, () -> StoreScu.Destination.parse("127.0.0.1:104"));
        assertEquals(ErrorCode.INVALID_CONFIG, badSpec.code());
        StunetException notDicom = assertThrows(StunetException.class,
                () -> new StoreScu(StoreScu.Destination.parse("PACS@127.0.0.1:104"), "STUNET", TIMEOUT).send(new byte[200]));
        assertEquals(ErrorCode.INVALID_DICOM, notDicom.code(), "bad bytes are not the destination's fault");
    }
}
