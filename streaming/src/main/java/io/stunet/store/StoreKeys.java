package io.stunet.store;

import io.stunet.error.ErrorCode;

import java.util.regex.Pattern;

/**
 * Validation of store keys shared by every implementation, so a key that is refused by the
 * local directory is refused by S3 too and a test against one holds for the other.
 */
final class StoreKeys {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

    private StoreKeys() {
    }

    static String validKey(String key) {
        if (key == null || key.isEmpty() || key.length() > 1024) {
            throw invalid("empty or over-long key");
        }
        if (key.startsWith("/") || key.endsWith("/")) {
            throw invalid("key must be relative and name a blob");
        }
        for (String seg : key.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..") || !SEGMENT.matcher(seg).matches()) {
                throw invalid("key has a segment that is empty, '.', '..' or has characters outside [A-Za-z0-9._-]");
            }
        }
        return key;
    }

    /** Prefixes may be empty or end in {@code /}; their complete segments follow the key rules. */
    static String validPrefix(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return "";
        }
        String body = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        validKey(body);
        return prefix;
    }

    private static StoreException invalid(String why) {
        return new StoreException(ErrorCode.INVALID_REQUEST, "invalid store key: " + why);
    }
}
