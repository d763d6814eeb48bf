package io.stunet.records;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Derives a case id from what determines the result: the input bytes, the model and the
 * processing options. Submitting the same scan with the same model and options again yields
 * the same id, so the pipeline finds the existing result instead of computing a second one.
 * The id is 32 lower-case hex characters (128 bits of a SHA-256), safe in keys and paths.
 */
public final class CaseIds {
    private static final String DOMAIN = "stunet.case.v1";

    private CaseIds() {
    }

    /**
     * @param inputSha256 hex SHA-256 of the input file bytes
     * @param modelSha256 hex SHA-256 of the model file
     * @param options     options that change the output; order does not matter
     */
    public static String derive(String inputSha256, String modelSha256, Map<String, String> options) {
        Objects.requireNonNull(inputSha256, "inputSha256");
        Objects.requireNonNull(modelSha256, "modelSha256");
        MessageDigest md = sha256();
        // Length-prefixed fields: no choice of option text can make two inputs collide.
        update(md, DOMAIN);
        update(md, inputSha256.toLowerCase());
        update(md, modelSha256.toLowerCase());
        for (Map.Entry<String, String> e : new TreeMap<>(options == null ? Map.of() : options).entrySet()) {
            update(md, e.getKey());
            update(md, e.getValue());
        }
        return HexFormat.of().formatHex(md.digest(), 0, 16);
    }

    /** Whether a string has the shape of a derived case id (guards keys built from user input). */
    public static boolean isValid(String caseId) {
        return caseId != null && caseId.matches("[0-9a-f]{32}");
    }

    private static void update(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
        md.update((byte) ':');
        md.update(b);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JRE has SHA-256", e);
        }
    }
}
