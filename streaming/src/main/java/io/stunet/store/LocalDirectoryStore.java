package io.stunet.store;

import io.stunet.error.ErrorCode;
import io.stunet.records.BlobRef;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The default claim-check store: blobs are files under a root directory (a shared volume
 * when services run on several hosts). A put writes a temporary file in {@code .tmp/} under
 * the same root, forces it to disk and renames it over the target, so readers never see a
 * partial blob and a crash leaves at most an orphaned temporary file.
 */
public final class LocalDirectoryStore implements ClaimCheckStore {
    private static final String TMP = ".tmp";

    private final Path root;
    private final Path tmp;

    public LocalDirectoryStore(Path root) {
        try {
            this.root = Files.createDirectories(root).toRealPath();
            this.tmp = Files.createDirectories(this.root.resolve(TMP));
        } catch (IOException e) {
            throw new StoreException(ErrorCode.STORE_FAILURE, "cannot create store directory: " + e.getMessage(), e);
        }
    }

    public Path root() {
        return root;
    }

    private Path path(String key) {
        Path p = root.resolve(StoreKeys.validKey(key)).normalize();
        if (!p.startsWith(root) || p.startsWith(tmp)) {
            throw new StoreException(ErrorCode.INVALID_REQUEST, "invalid store key: outside the store");
        }
        return p;
    }

    @Override
    public BlobRef put(String key, byte[] data) {
        return write(key, out -> out.write(data));
    }

    @Override
    public BlobRef put(String key, InputStream data) {
        return write(key, data::transferTo);
    }

    @Override
    public BlobRef putFile(String key, Path file) {
        return write(key, out -> Files.copy(file, out));
    }

    private interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    private BlobRef write(String key, Writer writer) {
        Path target = path(key);
        Path temp = tmp.resolve(UUID.randomUUID() + ".part");
        MessageDigest md = Digests.sha256();
        try {
            long size;
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                CountingOutputStream counter = new CountingOutputStream(Channels.newOutputStream(ch));
                DigestOutputStream out = new DigestOutputStream(counter, md);
                writer.writeTo(out);
                out.flush();
                size = counter.count;
                // Durable before visible: a consumer may commit its offset as soon as we return.
                ch.force(true);
            }
            Files.createDirectories(target.getParent());
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new StoreException(ErrorCode.STORE_FAILURE, "store directory does not support atomic rename", e);
            }
            return new BlobRef(key, size, Digests.hex(md));
        } catch (IOException e) {
            throw new StoreException(ErrorCode.STORE_FAILURE, "cannot write blob " + key + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // The put already succeeded or failed on its own terms; an orphan in .tmp is harmless.
            }
        }
    }

    @Override
    public byte[] get(String key) {
        try {
            return Files.readAllBytes(path(key));
        } catch (NoSuchFileException e) {
            throw StoreException.missing(key);
        } catch (IOException e) {
            throw new StoreException(ErrorCode.STORE_FAILURE, "cannot read blob " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream open(String key) {
        try {
            return Files.newInputStream(path(key));
        } catch (NoSuchFileException e) {
            throw StoreException.missing(key);
        } catch (IOException e) {
            throw new StoreException(ErrorCode.STORE_FAILURE, "cannot read blob " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative range");
        }
        try (FileChannel ch = FileChannel.open(path(key), StandardOpenOption.READ)) {
            if (offset + length > ch.size()) {
                throw new StoreException(ErrorCode.BLOB_CORRUPT, "blob " + key + " has " + ch.size()
                        + " bytes, range ends at " + (offset + length));
            }
            ByteBuffer buf = ByteBuffer.allocate(length);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    throw new StoreException(ErrorCode.BLOB_CORRUPT, "blob " + key + " shrank while reading");
                }
            }
            return buf.array();
        } catch (NoSuchFileException e) {
            throw StoreException.missing(key);
        } catch (IOException e) {
            throw new StoreException(ErrorCode.STORE_FAILURE, "cannot read blob " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean exists(String key) {
        return Files.isRegularFile(path(key));
    }

    @Override
    public long size(String key) {
        try {
            return Files.size(path(key));
        } catch (NoSuchFileException e) {
            throw StoreException.missing(key);
        } catch (IOException e) {
            throw new StoreException(ErrorCode.STORE_FAILURE, "cannot stat blob " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(String key) {
        try {
            Files.deleteIfExists(path(key));
        } catch (IOException e) {
            throw new StoreException(ErrorCode.STORE_FAILURE, "cannot delete blob " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> list(String prefix) {
        String p = StoreKeys.validPrefix(prefix);
        // Walk only the deepest directory the prefix names completely.
        int slash = p.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(p.substring(0, slash));
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        try (Stream<Path> files = Files.walk(start)) {
            files.filter(Files::isRegularFile)
                    .filter(f -> !f.startsWith(tmp))
                    .map(f -> root.relativize(f).toString().replace(java.io.File.separatorChar, '/'))
                    .filter(k -> k.startsWith(p))
                    .forEach(keys::add);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new StoreException(ErrorCode.STORE_FAILURE, "cannot list blobs: " + e.getMessage(), e);
        }
        keys.sort(null);
        return keys;
    }

    @Override
    public void close() {
        // Nothing is held open between calls.
    }

    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
