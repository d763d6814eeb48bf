package io.stunet.store;

import io.stunet.config.StunetConfig;

import java.net.URI;

/** Opens the claim-check store the configuration names ({@code store.type}). */
public final class ClaimCheckStores {
    private ClaimCheckStores() {
    }

    public static ClaimCheckStore open(StunetConfig config) {
        if (config.getString(StunetConfig.STORE_TYPE).equals("s3")) {
            String endpoint = config.getOptional(StunetConfig.STORE_S3_ENDPOINT);
            return new S3Store(new S3Store.Settings(
                    endpoint == null ? null : URI.create(endpoint),
                    config.getString(StunetConfig.STORE_S3_REGION),
                    config.getString(StunetConfig.STORE_S3_BUCKET),
                    config.getOptional(StunetConfig.STORE_S3_ACCESS_KEY),
                    config.getOptional(StunetConfig.STORE_S3_SECRET_KEY),
                    config.getBoolean(StunetConfig.STORE_S3_PATH_STYLE),
                    config.getInt(StunetConfig.STORE_S3_MULTIPART_THRESHOLD),
                    config.getInt(StunetConfig.STORE_S3_PART_SIZE),
                    config.getBoolean(StunetConfig.STORE_S3_CREATE_BUCKET)));
        }
        return new LocalDirectoryStore(config.getPath(StunetConfig.STORE_LOCAL_ROOT));
    }
}
