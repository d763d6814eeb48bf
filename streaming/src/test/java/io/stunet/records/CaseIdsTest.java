package io.stunet.records;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaseIdsTest {
    private static final String INPUT = sha("input");
    private static final String MODEL = sha("model");

    @Test
    void sameInputsGiveTheSameIdWhateverTheOptionOrder() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("tta", "true");
        a.put("step", "0.5");
        Map<String, String> b = new LinkedHashMap<>();
        b.put("step", "0.5");
        b.put("tta", "true");
        assertEquals(CaseIds.derive(INPUT, MODEL, a), CaseIds.derive(INPUT, MODEL, b));
        assertEquals(CaseIds.derive(INPUT, MODEL, a), CaseIds.derive(INPUT.toUpperCase(), MODEL, a));
        assertTrue(CaseIds.isValid(CaseIds.derive(INPUT, MODEL, a)));
    }

    @Test
    void anyDeterminingInputChangesTheId() {
        String base = CaseIds.derive(INPUT, MODEL, Map.of("tta", "true"));
        assertNotEquals(base, CaseIds.derive(sha("other"), MODEL, Map.of("tta", "true")));
        assertNotEquals(base, CaseIds.derive(INPUT, sha("other"), Map.of("tta", "true")));
        assertNotEquals(base, CaseIds.derive(INPUT, MODEL, Map.of("tta", "false")));
        assertNotEquals(base, CaseIds.derive(INPUT, MODEL, Map.of()));
        // Without length prefixes these two would hash the same concatenation.
        assertNotEquals(CaseIds.derive(INPUT, MODEL, Map.of("ab", "c")), CaseIds.derive(INPUT, MODEL, Map.of("a", "bc")));
    }

    @Test
    void idIsTheDocumentedSha256Prefix() throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        String canonical = "14:stunet.case.v1" + "64:" + INPUT + "64:" + MODEL + "3:tta" + "4:true";
        String expected = HexFormat.of().formatHex(md.digest(canonical.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
        assertEquals(expected, CaseIds.derive(INPUT, MODEL, Map.of("tta", "true")));
    }

    private static String sha(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
