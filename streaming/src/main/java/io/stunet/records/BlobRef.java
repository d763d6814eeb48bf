package io.stunet.records;

import java.util.Objects;

/**
 * A claim check: where a blob lives in the store, how many bytes it has and its SHA-256, so
 * the reader can tell a complete blob from a stale or partial one.
 *
 * @param key    store key, see {@code io.stunet.store.BlobKeys}
 * @param size   length in bytes
 * @param sha256 lower-case hex SHA-256 of the bytes
 */
public record BlobRef(String key, long size, String sha256) {
    public BlobRef {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(sha256, "sha256");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0");
        }
    }
}
