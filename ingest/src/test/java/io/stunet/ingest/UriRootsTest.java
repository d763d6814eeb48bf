package io.stunet.ingest;

import io.stunet.config.StunetConfig;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.store.S3Store;
import io.stunet.testing.MotoServer;
import io.stunet.testing.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code uri} submissions against S3 roots, with a real S3-compatible server (moto on
 * loopback): objects under a configured bucket and prefix are spooled, anything else is
 * refused before a request is made.
 */
class UriRootsTest {
    private static MotoServer moto;
    private static byte[] scan;

    @TempDir
    Path dir;

    @BeforeAll
    static void startS3() throws Exception {
        moto = MotoServer.start();
        scan = Files.readAllBytes(TestData.nifti("example_ct_sm.nii.gz"));
        for (String bucket : List.of("scans", "other")) {
            try (S3Store s = new S3Store(new S3Store.Settings(moto.endpoint(), "us-east-1", bucket, "test", "test",
                    true, 16 << 20, 8 << 20, true))) {
                s.put("cohort/ct.nii.gz", scan);
                s.put("private/ct.nii.gz", scan);
            }
        }
    }

    @AfterAll
    static void stopS3() {
        moto.close();
    }

    @Test
    void s3ObjectsInsideARootAreSpooledAndOthersRefused() throws Exception {
        StunetConfig config = StunetConfig.load(null, Map.of(), Map.of(
                "store.s3.endpoint", moto.endpoint().toString(),
                "store.s3.access.key", "test", "store.s3.secret.key", "test",
                "ingest.uri.roots", "s3://scans/cohort, " + dir));
        UriRoots roots = new UriRoots(config);
        Path spool = dir.resolve("spool");

        UriRoots.Resolved r = roots.resolve("s3://scans/cohort/ct.nii.gz", spool);
        assertTrue(r.temporary());
        assertEquals("ct.nii.gz", r.name());
        assertTrue(r.file().startsWith(spool));
        assertArrayEquals(scan, Files.readAllBytes(r.file()));

        for (String uri : List.of("s3://scans/private/ct.nii.gz", "s3://other/cohort/ct.nii.gz",
                "s3://scans/cohort/../private/ct.nii.gz", "s3://scans/cohort/x%2F..%2Fct.nii.gz", "s3://scans/cohort/ct.txt")) {
            StunetException e = assertThrows(StunetException.class, () -> roots.resolve(uri, spool), uri);
            assertEquals(ErrorCode.INVALID_REQUEST, e.code(), uri);
        }
    }
}
