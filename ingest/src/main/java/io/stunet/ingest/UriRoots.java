package io.stunet.ingest;

import io.stunet.config.StunetConfig;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.nifti.NiftiNames;
import io.stunet.store.S3Store;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where {@code {"uri": ...}} submissions may read from ({@code ingest.uri.roots}): local
 * directories, and S3 buckets (optionally a key prefix) reached with the store's S3
 * connection settings. A URI is refused with INVALID_REQUEST unless it names a
 * {@code .nii}/{@code .nii.gz} file inside a root: {@code ..} segments are refused before
 * anything is resolved, and local paths are compared after symlinks are resolved, so
 * neither a relative path nor a link can lead outside the roots. Methods block.
 */
final class UriRoots {
    private static final Pattern S3_KEY_SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

    private record S3Root(String bucket, String prefix) {
    }

    private final List<Path> local = new ArrayList<>();
    private final List<S3Root> s3 = new ArrayList<>();
    private final StunetConfig config;

    UriRoots(StunetConfig config) {
        this.config = config;
        for (String e : config.getList(StunetConfig.INGEST_URI_ROOTS)) {
            if (e.startsWith("s3://")) {
                String rest = e.substring("s3://".length());
                int slash = rest.indexOf('/');
                String bucket = slash < 0 ? rest : rest.substring(0, slash);
                String prefix = slash < 0 ? "" : rest.substring(slash + 1);
                if (bucket.isEmpty()) {
                    throw new StunetException(ErrorCode.INVALID_CONFIG, "configuration key "
                            + StunetConfig.INGEST_URI_ROOTS.name() + ": s3 root without a bucket");
                }
                s3.add(new S3Root(bucket, prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/"));
            } else {
                try {
                    local.add(Path.of(e).toRealPath());
                } catch (IOException | RuntimeException ex) {
                    throw new StunetException(ErrorCode.INVALID_CONFIG, "configuration key "
                            + StunetConfig.INGEST_URI_ROOTS.name() + ": root directory does not exist: " + e);
                }
            }
        }
    }

    /** A local file inside a root, or the S3 object spooled to a new file in {@code spoolDir}. */
    Resolved resolve(String uri, Path spoolDir) {
        if (uri == null || uri.isBlank()) {
            throw invalid("uri is empty");
        }
        if (uri.startsWith("s3://")) {
            return fetchS3(uri.substring("s3://".length()), spoolDir);
        }
        String path = uri.startsWith("file:") ? URI.create(uri).getPath() : uri;
        if (path == null || !path.startsWith("/")) {
            throw invalid("uri must be an absolute file path, file: URI or s3:// URI");
        }
        for (String seg : path.split("/")) {
            if (seg.equals("..") || seg.equals(".")) {
                throw invalid("uri has a '.' or '..' segment");
            }
        }
        Path real;
        try {
            real = Path.of(path).toRealPath();
        } catch (IOException | RuntimeException e) {
            throw invalid("uri does not name a readable file inside the configured roots");
        }
        boolean inside = local.stream().anyMatch(real::startsWith);
        if (!inside || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw invalid("uri does not name a readable file inside the configured roots");
        }
        String name = real.getFileName().toString();
        NiftiNames.requireNifti(name);
        return new Resolved(real, false, name);
    }

    private Resolved fetchS3(String rest, Path spoolDir) {
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw invalid("s3 uri must be s3://bucket/key");
        }
        String bucket = rest.substring(0, slash);
        String key = rest.substring(slash + 1);
        for (String seg : key.split("/", -1)) {
            if (seg.equals("..") || seg.equals(".") || !S3_KEY_SEGMENT.matcher(seg).matches()) {
                throw invalid("s3 key has an empty, '.' or '..' segment or characters outside [A-Za-z0-9._-]");
            }
        }
        boolean allowed = s3.stream().anyMatch(r -> r.bucket().equals(bucket) && key.startsWith(r.prefix()));
        if (!allowed) {
            throw invalid("uri is not inside the configured roots");
        }
        String name = key.substring(key.lastIndexOf('/') + 1);
        NiftiNames.requireNifti(name);
        Path spooled = null;
        try (S3Store bucketStore = new S3Store(settings(bucket)); InputStream in = bucketStore.open(key)) {
            Files.createDirectories(spoolDir);
            spooled = Files.createTempFile(spoolDir, "uri-", name.toLowerCase(Locale.ROOT).endsWith(".gz") ? ".nii.gz" : ".nii");
            Files.copy(in, spooled, StandardCopyOption.REPLACE_EXISTING);
            return new Resolved(spooled, true, name);
        } catch (IOException e) {
            deleteQuietly(spooled);
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot spool s3 input: " + e.getClass().getSimpleName(), e);
        } catch (RuntimeException e) {
            deleteQuietly(spooled);
            throw e;
        }
    }

    private S3Store.Settings settings(String bucket) {
        String endpoint = config.getOptional(StunetConfig.STORE_S3_ENDPOINT);
        return new S3Store.Settings(endpoint == null ? null : URI.create(endpoint),
                config.getString(StunetConfig.STORE_S3_REGION), bucket,
                config.getOptional(StunetConfig.STORE_S3_ACCESS_KEY), config.getOptional(StunetConfig.STORE_S3_SECRET_KEY),
                config.getBoolean(StunetConfig.STORE_S3_PATH_STYLE), config.getInt(StunetConfig.STORE_S3_MULTIPART_THRESHOLD),
                config.getInt(StunetConfig.STORE_S3_PART_SIZE), false);
    }

    static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // A spool file left behind is only disk space; the next start does not read it.
            }
        }
    }

    private static StunetException invalid(String why) {
        return new StunetException(ErrorCode.INVALID_REQUEST, why);
    }

    /** A file to submit; {@code temporary} ones are deleted after submission. */
    record Resolved(Path file, boolean temporary, String name) {
    }
}
