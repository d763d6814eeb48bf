package io.stunet.store;

import io.stunet.error.ErrorCode;
import io.stunet.records.BlobRef;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Claim-check store on S3-compatible object storage (AWS S3, MinIO, Ceph, ...) through the
 * AWS SDK v2. Blobs up to {@code multipartThreshold} bytes go up in one PUT; larger ones as
 * a multipart upload of {@code partSize} parts, which S3 makes visible only on completion —
 * both are atomic. Streams are read one part at a time, so memory stays at one part
 * whatever the blob size. Range reads use HTTP {@code Range} for slab access.
 */
public final class S3Store implements ClaimCheckStore {
    /** Connection settings; {@code endpoint == null} means AWS itself. */
    public record Settings(URI endpoint, String region, String bucket, String accessKey, String secretKey,
                           boolean pathStyle, int multipartThreshold, int partSize, boolean createBucket) {
        public Settings {
            Objects.requireNonNull(region, "region");
            Objects.requireNonNull(bucket, "bucket");
            // S3 refuses parts under 5 MiB except the last one.
            if (partSize < 5 * 1024 * 1024) {
                throw new IllegalArgumentException("partSize must be >= 5 MiB");
            }
            if (multipartThreshold < 1) {
                throw new IllegalArgumentException("multipartThreshold must be >= 1");
            }
        }
    }

    private final S3Client s3;
    private final Settings settings;

    public S3Store(Settings settings) {
        this.settings = settings;
        AwsCredentialsProvider credentials = settings.accessKey() == null
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()));
        var builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60)))
                // Checksums only where S3 requires them: many S3-compatible servers reject the newer trailers.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        this.s3 = builder.build();
        if (settings.createBucket()) {
            createBucketIfMissing();
        }
    }

    private void createBucketIfMissing() {
        try {
            s3.headBucket(b -> b.bucket(settings.bucket()));
        } catch (NoSuchBucketException e) {
            s3.createBucket(b -> b.bucket(settings.bucket()));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw failure("cannot check bucket", e);
            }
            s3.createBucket(b -> b.bucket(settings.bucket()));
        } catch (SdkException e) {
            throw failure("cannot reach object store", e);
        }
    }

    @Override
    public BlobRef put(String key, byte[] data) {
        StoreKeys.validKey(key);
        if (data.length <= settings.multipartThreshold()) {
            try {
                s3.putObject(b -> b.bucket(settings.bucket()).key(key).contentLength((long) data.length),
                        RequestBody.fromBytes(data));
            } catch (SdkException e) {
                throw failure("cannot write blob " + key, e);
            }
            return new BlobRef(key, data.length, Digests.sha256Hex(data));
        }
        return put(key, new java.io.ByteArrayInputStream(data));
    }

    @Override
    public BlobRef put(String key, InputStream data) {
        StoreKeys.validKey(key);
        try {
            byte[] first = data.readNBytes(settings.multipartThreshold() + 1);
            if (first.length <= settings.multipartThreshold()) {
                return put(key, first);
            }
            return multipart(key, first, data);
        } catch (IOException e) {
            throw new StoreException(ErrorCode.IO_FAILURE, "cannot read data for blob " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public BlobRef putFile(String key, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return put(key, in);
        } catch (IOException e) {
            throw new StoreException(ErrorCode.IO_FAILURE, "cannot read file for blob " + key + ": " + e.getMessage(), e);
        }
    }

    private BlobRef multipart(String key, byte[] head, InputStream rest) throws IOException {
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(b -> b.bucket(settings.bucket()).key(key)).uploadId();
        } catch (SdkException e) {
            throw failure("cannot start upload of blob " + key, e);
        }
        MessageDigest md = Digests.sha256();
        List<CompletedPart> parts = new ArrayList<>();
        long size = 0;
        boolean done = false;
        try {
            byte[] carry = head;
            while (true) {
                byte[] part;
                if (carry.length >= settings.partSize()) {
                    part = Arrays.copyOf(carry, settings.partSize());
                    carry = Arrays.copyOfRange(carry, settings.partSize(), carry.length);
                } else {
                    byte[] more = rest.readNBytes(settings.partSize() - carry.length);
                    part = concat(carry, more);
                    carry = new byte[0];
                }
                if (part.length == 0) {
                    break;
                }
                md.update(part);
                size += part.length;
                int number = parts.size() + 1;
                byte[] body = part;
                String etag = s3.uploadPart(b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId)
                        .partNumber(number).contentLength((long) body.length), RequestBody.fromBytes(body)).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                if (part.length < settings.partSize() && carry.length == 0) {
                    break;
                }
            }
            s3.completeMultipartUpload(b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts)));
            done = true;
            return new BlobRef(key, size, Digests.hex(md));
        } catch (SdkException e) {
            throw failure("cannot upload blob " + key, e);
        } finally {
            if (!done) {
                abortQuietly(key, uploadId);
            }
        }
    }

    private void abortQuietly(String key, String uploadId) {
        try {
            s3.abortMultipartUpload(b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId));
        } catch (SdkException ignored) {
            // The original failure is what the caller needs; a lifecycle rule cleans up leftovers.
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        if (a.length == 0) {
            return b;
        }
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public byte[] get(String key) {
        StoreKeys.validKey(key);
        try {
            return s3.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(key)).asByteArray();
        } catch (NoSuchKeyException e) {
            throw StoreException.missing(key);
        } catch (SdkException e) {
            throw failure("cannot read blob " + key, e);
        }
    }

    @Override
    public InputStream open(String key) {
        StoreKeys.validKey(key);
        try {
            return s3.getObject(b -> b.bucket(settings.bucket()).key(key));
        } catch (NoSuchKeyException e) {
            throw StoreException.missing(key);
        } catch (SdkException e) {
            throw failure("cannot read blob " + key, e);
        }
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        StoreKeys.validKey(key);
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative range");
        }
        long blobSize = size(key);
        if (offset + length > blobSize) {
            throw new StoreException(ErrorCode.BLOB_CORRUPT, "blob " + key + " has " + blobSize
                    + " bytes, range ends at " + (offset + length));
        }
        if (length == 0) {
            return new byte[0];
        }
        try {
            ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(key)
                    .range("bytes=" + offset + "-" + (offset + length - 1)));
            byte[] data = r.asByteArray();
            if (data.length != length) {
                throw new StoreException(ErrorCode.STORE_FAILURE, "object store returned " + data.length
                        + " bytes for a range of " + length);
            }
            return data;
        } catch (NoSuchKeyException e) {
            throw StoreException.missing(key);
        } catch (SdkException e) {
            throw failure("cannot read blob " + key, e);
        }
    }

    @Override
    public boolean exists(String key) {
        return head(key) != null;
    }

    @Override
    public long size(String key) {
        HeadObjectResponse h = head(key);
        if (h == null) {
            throw StoreException.missing(key);
        }
        return h.contentLength();
    }

    private HeadObjectResponse head(String key) {
        StoreKeys.validKey(key);
        try {
            return s3.headObject(b -> b.bucket(settings.bucket()).key(key));
        } catch (NoSuchKeyException e) {
            return null;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw failure("cannot stat blob " + key, e);
        } catch (SdkException e) {
            throw failure("cannot stat blob " + key, e);
        }
    }

    @Override
    public void delete(String key) {
        StoreKeys.validKey(key);
        try {
            s3.deleteObject(b -> b.bucket(settings.bucket()).key(key));
        } catch (SdkException e) {
            throw failure("cannot delete blob " + key, e);
        }
    }

    @Override
    public List<String> list(String prefix) {
        String p = StoreKeys.validPrefix(prefix);
        try {
            List<String> keys = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(settings.bucket()).prefix(p)).contents()) {
                keys.add(o.key());
            }
            keys.sort(null);
            return keys;
        } catch (SdkException e) {
            throw failure("cannot list blobs", e);
        }
    }

    @Override
    public void close() {
        s3.close();
    }

    private static StoreException failure(String what, SdkException e) {
        return new StoreException(ErrorCode.STORE_FAILURE, what + ": " + e.getMessage(), e);
    }
}
