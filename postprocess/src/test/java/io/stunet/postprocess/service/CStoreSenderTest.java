package io.stunet.postprocess.service;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.testing.Storescp;
import io.stunet.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The C-STORE destination of postprocess against dcmtk's storescp: check (C-ECHO), delivery, a bad address. */
class CStoreSenderTest {
    @TempDir
    Path tmp;

    @Test
    void checksDeliversAndNamesItsAddress() throws Exception {
        byte[] ct = Files.readAllBytes(TestData.file("data/dicom/CT_small.dcm"));
        try (Storescp pacs = Storescp.start(tmp.resolve("pacs"))) {
            CStoreSender sender = new CStoreSender(pacs.destination(), "STUNET", Duration.ofSeconds(30));
            assertEquals("dimse", sender.kind());
            assertEquals(pacs.destination(), sender.address());
            sender.check();
            sender.deliver("case-1", ct);
            assertEquals(1, pacs.received().size());
        }
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        CStoreSender nobody = new CStoreSender("PACS@127.0.0.1:" + closed, "STUNET", Duration.ofSeconds(5));
        StunetException e = assertThrows(StunetException.class, nobody::check);
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("PACS@127.0.0.1:" + closed), e.getMessage());
        StunetException spec = assertThrows(StunetException.class, () -> new CStoreSender("pacs:104", "STUNET", Duration.ofSeconds(5)));
        assertEquals(ErrorCode.INVALID_CONFIG, spec.code());
    }
}
