package io.stunet.ingest;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How errors become HTTP responses: a JSON body {@code {"code", "message"[, "caseId"]}}
 * whose code is the stable {@link ErrorCode} name, with a status per code family:
 * INVALID_REQUEST 400, UNAUTHORIZED 401, NOT_FOUND 404, PAYLOAD_TOO_LARGE 413, input
 * volume codes (INVALID_NIFTI, TRUNCATED_DATA, ...) 422, broker/store/IO trouble 503,
 * anything else 500 (message = exception type only, since foreign messages may carry paths).
 */
final class HttpErrors {
    private static final Logger LOG = LoggerFactory.getLogger(HttpErrors.class);

    private HttpErrors() {
    }

    static int status(ErrorCode code) {
        return switch (code) {
            case INVALID_REQUEST, INVALID_RECORD -> 400;
            case UNAUTHORIZED -> 401;
            case NOT_FOUND -> 404;
            case PAYLOAD_TOO_LARGE -> 413;
            case INVALID_NIFTI, UNSUPPORTED_DATATYPE, VOLUME_TOO_LARGE, TRUNCATED_DATA, UNSUPPORTED_DIMENSIONS,
                    INVALID_GEOMETRY -> 422;
            case BROKER_FAILURE, STORE_FAILURE, IO_FAILURE -> 503;
            default -> 500;
        };
    }

    /** The router's failure handler. */
    static void handle(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        if (ctx.response().headWritten()) {
            ctx.response().reset();
            return;
        }
        JsonObject body = new JsonObject();
        int status;
        if (failure instanceof StunetException e) {
            status = status(e.code());
            body.put("code", e.code().name()).put("message", e.getMessage());
            if (e instanceof RefusedInputException r) {
                body.put("caseId", r.caseId());
            }
        } else if (failure == null) {
            status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
            ErrorCode code = switch (status) {
                case 404 -> ErrorCode.NOT_FOUND;
                case 405 -> ErrorCode.INVALID_REQUEST;
                default -> ErrorCode.INTERNAL;
            };
            body.put("code", code.name()).put("message", status == 404 ? "no such route"
                    : status == 405 ? "method not allowed" : "HTTP " + status);
        } else {
            status = 500;
            // Foreign exception messages may carry paths or names, so only the type and where it was thrown are logged.
            StackTraceElement[] at = failure.getStackTrace();
            LOG.error("event=request_failed error={} at={}", failure.getClass().getName(), at.length > 0 ? at[0] : "?");
            body.put("code", ErrorCode.INTERNAL.name()).put("message", failure.getClass().getSimpleName());
        }
        if (status == 401) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }
}
