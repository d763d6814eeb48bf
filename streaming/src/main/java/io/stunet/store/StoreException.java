package io.stunet.store;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

/**
 * A claim-check store failure: {@code STORE_FAILURE} when the store could not be reached or
 * written (retriable), {@code BLOB_CORRUPT} when a blob is missing or does not match its
 * claim check, {@code INVALID_REQUEST} for a key that is not allowed.
 */
public class StoreException extends StunetException {
    public StoreException(ErrorCode code, String message) {
        super(code, message);
    }

    public StoreException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    static StoreException missing(String key) {
        return new StoreException(ErrorCode.BLOB_CORRUPT, "blob " + key + " does not exist");
    }
}
