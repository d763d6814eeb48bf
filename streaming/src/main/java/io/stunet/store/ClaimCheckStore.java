package io.stunet.store;

import io.stunet.error.ErrorCode;
import io.stunet.records.BlobRef;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Where volumes live while records about them travel through Kafka (the claim-check
 * pattern). Writes are atomic: a reader sees either no blob or the complete new one, never
 * a partial write, so a stage that crashes mid-write leaves nothing a consumer could take
 * for a result. Every put returns the {@link BlobRef} (key, size, SHA-256) to put in a record.
 *
 * <p>Methods block on I/O; services call them from worker threads, never an event loop.
 * Keys are {@code /}-separated relative paths of letters, digits, {@code . _ -} (see
 * {@link BlobKeys}); anything else, {@code ..} segments included, is refused.
 */
public interface ClaimCheckStore extends AutoCloseable {
    /** Stores bytes under a key, replacing any previous blob atomically. */
    BlobRef put(String key, byte[] data);

    /** Stores a stream of unknown length under a key; the stream is read to its end, not closed. */
    BlobRef put(String key, InputStream data);

    /** Stores a file's contents under a key. */
    BlobRef putFile(String key, Path file);

    /** The whole blob; {@code BLOB_CORRUPT} if it does not exist. */
    byte[] get(String key);

    /** A stream over the whole blob; the caller closes it. */
    InputStream open(String key);

    /** {@code length} bytes starting at {@code offset}; {@code BLOB_CORRUPT} if the blob is shorter. */
    byte[] getRange(String key, long offset, int length);

    boolean exists(String key);

    /** Size in bytes; {@code BLOB_CORRUPT} if the blob does not exist. */
    long size(String key);

    /** Removes a blob; no error if it does not exist. */
    void delete(String key);

    /** Keys that start with {@code prefix}, sorted. */
    List<String> list(String prefix);

    @Override
    void close();

    /** The blob a claim check points to, verified against its size and SHA-256. */
    default byte[] get(BlobRef ref) {
        byte[] data = get(ref.key());
        if (data.length != ref.size() || !Digests.sha256Hex(data).equals(ref.sha256())) {
            throw new StoreException(ErrorCode.BLOB_CORRUPT, "blob " + ref.key() + " does not match its claim check");
        }
        return data;
    }

    /** Whether a blob exists and has the expected size (a cheap check before re-doing work). */
    default boolean matches(BlobRef ref) {
        return exists(ref.key()) && size(ref.key()) == ref.size();
    }
}
