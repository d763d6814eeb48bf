package io.stunet.ingest.dicom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Series completion and handoff of the spool, across a restart; instances are pydicom-written CT slices. */
class SeriesSpoolTest {
    @TempDir
    Path tmp;

    @Test
    void openAndCompletedSeriesSurviveARestartAndEachHandoffHappensOnce() throws Exception {
        List<Path> a = Tools.series(tmp.resolve("a"), 2, "explicit", true);
        List<Path> b = Tools.series(tmp.resolve("b"), 3, "explicit", true);
        Path root = tmp.resolve("spool");
        ConcurrentLinkedQueue<CompletedSeries> first = new ConcurrentLinkedQueue<>();
        try (SeriesSpool spool = new SeriesSpool(root, Duration.ofHours(1), first::add)) {
            spool.start();
            String keyA = store(spool, a);
            store(spool, b);
            spool.endSeries(keyA);
            await(first, 1);
            assertEquals(CompletedSeries.Reason.EXPLICIT, first.peek().reason());
            assertEquals(2, first.peek().instances());
            assertEquals(1, spool.openSeries());
        }
        // The process "stops": series a is in complete/ (its handoff may not have finished its
        // work), series b is still open in incoming/.
        ConcurrentLinkedQueue<CompletedSeries> second = new ConcurrentLinkedQueue<>();
        try (SeriesSpool spool = new SeriesSpool(root, Duration.ofMillis(300), second::add)) {
            spool.start();
            await(second, 2);
            Thread.sleep(1000);
            assertEquals(2, second.size(), "each series handed over once after the restart");
            CompletedSeries recovered = second.stream().filter(s -> s.reason() == CompletedSeries.Reason.RECOVERED)
                    .findFirst().orElseThrow();
            CompletedSeries quiet = second.stream().filter(s -> s.reason() == CompletedSeries.Reason.QUIET)
                    .findFirst().orElseThrow();
            assertEquals(2, recovered.instances());
            assertEquals(3, quiet.instances());
            assertEquals(3, Tools.dcmFiles(quiet.dir()).size());
            String report = Tools.sameInstances(b, Tools.dcmFiles(quiet.dir()));
            assertEquals(3, report.lines().filter(l -> l.contains("\"ok\": true")).count(), report);
            assertTrue(Tools.dcmFiles(root.resolve("incoming")).isEmpty());
        }
    }

    /** Stores Part 10 files' data sets as the receivers do; returns the series key. */
    private static String store(SeriesSpool spool, List<Path> files) throws Exception {
        String key = null;
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            io.stunet.dicom.DicomFile parsed = io.stunet.dicom.DicomReader.read(bytes);
            int offset = io.stunet.dicom.DicomReader.datasetOffset(bytes);
            String syntax = parsed.meta().getString(io.stunet.dicom.Tag.TransferSyntaxUID);
            InstanceKeys keys = InstanceKeys.of(java.util.Arrays.copyOfRange(bytes, offset, bytes.length), syntax);
            spool.store(keys, syntax, "TESTSCU", out -> out.write(bytes, offset, bytes.length - offset));
            key = keys.seriesKey();
        }
        return key;
    }

    private static void await(ConcurrentLinkedQueue<CompletedSeries> q, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (q.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(n, q.size());
    }
}
