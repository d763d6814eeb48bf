package io.stunet.ingest;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.nifti.NiftiNames;
import io.stunet.kafka.CaseStatusView;
import io.stunet.records.CaseIds;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.store.BlobKeys;
import io.stunet.store.ClaimCheckStore;
import io.stunet.store.Digests;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The ingest HTTP API on a Vert.x router: case submission (streamed upload or URI), case
 * status, mask and statistics, server-sent status events and the OpenAPI document. Uploads
 * are written to a spool file chunk by chunk with backpressure, never held in memory; store
 * reads run on worker threads. docs/api.md describes the API for clients.
 */
final class IngestRoutes {
    static final String OPENAPI_RESOURCE = "/io/stunet/ingest/openapi.yaml";
    private static final int JSON_LIMIT = 64 * 1024;
    private static final long SSE_HEARTBEAT_MS = 15_000;

    private final Vertx vertx;
    private final CaseSubmitter submitter;
    private final Map<String, String> defaults;
    private final CaseStatusView view;
    private final ClaimCheckStore store;
    private final IngestMetrics metrics;
    private final long maxBody;
    private final Path spoolDir;
    private final List<byte[]> tokenDigests;

    /** @param defaults canonical options of a submission that gives none */
    IngestRoutes(Vertx vertx, CaseSubmitter submitter, Map<String, String> defaults, CaseStatusView view,
                 ClaimCheckStore store, IngestMetrics metrics, long maxBody, Path spoolDir, List<String> tokens) {
        this.vertx = vertx;
        this.submitter = submitter;
        this.defaults = defaults;
        this.view = view;
        this.store = store;
        this.metrics = metrics;
        this.maxBody = maxBody;
        this.spoolDir = spoolDir;
        this.tokenDigests = tokens.stream().map(IngestRoutes::sha256).toList();
    }

    /** Mounts the guard (latency, traversal), the open document route and the protected API. */
    void mount(Router router) {
        router.route().order(-1000).handler(this::guard);
        router.get("/openapi.yaml").handler(this::openApi);
        router.route("/v1/*").handler(this::authenticate);
        router.post("/v1/cases").handler(this::submit);
        router.get("/v1/cases/:id").handler(this::status);
        router.get("/v1/cases/:id/mask").handler(ctx -> result(ctx, BlobKeys::mask, "application/gzip", ".nii.gz"));
        router.get("/v1/cases/:id/stats").handler(ctx -> result(ctx, BlobKeys::stats, "application/json", null));
        router.get("/v1/cases/:id/seg").handler(ctx -> result(ctx, id -> BlobKeys.output(id, "seg.dcm"), "application/dicom",
                "_seg.dcm"));
        router.get("/v1/events").handler(this::events);
        router.route().failureHandler(HttpErrors::handle);
        router.errorHandler(404, HttpErrors::handle);
        router.errorHandler(405, HttpErrors::handle);
    }

    /** Measures every request, and refuses {@code .}/{@code ..} path segments (raw or percent-encoded) before routing can normalize them away. */
    private void guard(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.addEndHandler(v -> {
            String route = ctx.currentRoute() != null && ctx.currentRoute().getPath() != null
                    ? ctx.currentRoute().getPath() : "other";
            metrics.request(route, ctx.request().method().name(), ctx.response().getStatusCode(), System.nanoTime() - start);
        });
        for (String seg : ctx.request().path().split("/")) {
            String decoded;
            try {
                decoded = URLDecoder.decode(seg, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                ctx.fail(new StunetException(ErrorCode.INVALID_REQUEST, "malformed path"));
                return;
            }
            if (decoded.equals("..") || decoded.equals(".") || decoded.contains("/") || decoded.contains("\\")) {
                ctx.fail(new StunetException(ErrorCode.INVALID_REQUEST, "path has a '.' or '..' segment"));
                return;
            }
        }
        ctx.next();
    }

    private void authenticate(RoutingContext ctx) {
        if (tokenDigests.isEmpty()) {
            ctx.next();
            return;
        }
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        String given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        // Digests compared in constant time, every configured token each time: neither the
        // token length nor which token nearly matched shows in the response time.
        byte[] digest = sha256(given);
        boolean ok = false;
        for (byte[] t : tokenDigests) {
            ok |= MessageDigest.isEqual(digest, t);
        }
        if (!ok || given.isEmpty()) {
            ctx.fail(new StunetException(ErrorCode.UNAUTHORIZED, "missing or wrong bearer token"));
            return;
        }
        ctx.next();
    }

    private void openApi(RoutingContext ctx) {
        vertx.executeBlocking(() -> {
            try (InputStream in = IngestRoutes.class.getResourceAsStream(OPENAPI_RESOURCE)) {
                if (in == null) {
                    throw new StunetException(ErrorCode.INTERNAL, "openapi.yaml missing from the classpath");
                }
                return Buffer.buffer(in.readAllBytes());
            }
        }, false).onSuccess(doc -> ctx.response().putHeader("Content-Type", "application/yaml").end(doc))
                .onFailure(ctx::fail);
    }

    private void submit(RoutingContext ctx) {
        String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (type != null && type.toLowerCase().startsWith("application/json")) {
            submitUri(ctx);
        } else {
            upload(ctx);
        }
    }

    private void upload(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        req.pause();
        Map<String, String> options;
        String name;
        try {
            for (String p : req.params().names()) {
                if (!p.equals("name") && !SubmitOptions.NAMES.contains(p)) {
                    throw new StunetException(ErrorCode.INVALID_REQUEST, "unknown query parameter " + p);
                }
            }
            options = SubmitOptions.override(defaults, req::getParam);
            name = req.getParam("name");
            if (name != null) {
                requireFileName(name);
            }
            String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
            if (length != null && parseLength(length) > maxBody) {
                refuseTooLarge(ctx);
                return;
            }
        } catch (StunetException e) {
            ctx.fail(e);
            return;
        }
        if ("100-continue".equalsIgnoreCase(req.getHeader(HttpHeaders.EXPECT))) {
            ctx.response().writeContinue();
        }
        Path spool = spoolDir.resolve("upload-" + UUID.randomUUID() + ".nii");
        vertx.fileSystem().mkdirs(spoolDir.toString())
                .compose(v -> vertx.fileSystem().open(spool.toString(), new OpenOptions().setWrite(true).setCreateNew(true)))
                .onFailure(err -> ctx.fail(new StunetException(ErrorCode.IO_FAILURE, "cannot create spool file", err)))
                .onSuccess(file -> receive(ctx, file, spool, options, name));
    }

    private void receive(RoutingContext ctx, AsyncFile file, Path spool, Map<String, String> options, String name) {
        MessageDigest digest = Digests.sha256();
        // A failed body (too large: already answered; broken connection: nobody to answer) ends here.
        BodySpool.receive(vertx, ctx.request(), file, spool, maxBody, buf -> digest.update(buf.getBytes()),
                () -> refuseTooLarge(ctx)).onSuccess(received -> {
                    metrics.uploadBytes(received);
                    submitter.submit(spool, Digests.hex(digest), name, options, "http").onComplete(ar -> {
                        vertx.fileSystem().delete(spool.toString());
                        if (ar.succeeded()) {
                            respond(ctx, ar.result());
                        } else {
                            ctx.fail(ar.cause());
                        }
                    });
                });
    }

    private void discard(AsyncFile file, Path spool) {
        file.close().onComplete(c -> vertx.fileSystem().delete(spool.toString()));
    }

    private void refuseTooLarge(RoutingContext ctx) {
        HttpServerResponse resp = ctx.response();
        // The rest of the body is not read: the connection is closed after the answer.
        resp.putHeader(HttpHeaders.CONNECTION, "close");
        resp.endHandler(v -> ctx.request().connection().close());
        ctx.fail(new StunetException(ErrorCode.PAYLOAD_TOO_LARGE, "body exceeds " + maxBody + " bytes"));
    }

    private void submitUri(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        if (!req.params().isEmpty()) {
            ctx.fail(new StunetException(ErrorCode.INVALID_REQUEST, "a uri submission takes its options in the JSON body"));
            return;
        }
        Buffer body = Buffer.buffer();
        boolean[] tooLarge = {false};
        req.handler(buf -> {
            if (!tooLarge[0] && body.length() + buf.length() > JSON_LIMIT) {
                tooLarge[0] = true;
                refuseTooLarge(ctx);
            } else if (!tooLarge[0]) {
                body.appendBuffer(buf);
            }
        });
        req.endHandler(v -> {
            if (tooLarge[0]) {
                return;
            }
            JsonObject json;
            Map<String, String> options;
            String uri;
            String name;
            try {
                json = new JsonObject(body);
                Set<String> allowed = new HashSet<>(SubmitOptions.NAMES);
                allowed.add("uri");
                allowed.add("name");
                for (String f : json.fieldNames()) {
                    if (!allowed.contains(f)) {
                        throw new StunetException(ErrorCode.INVALID_REQUEST, "unknown field " + f);
                    }
                }
                // classes may be given as a JSON array of names or as one comma-separated string.
                options = SubmitOptions.override(defaults, k -> json.getValue(k) == null ? null
                        : json.getValue(k) instanceof io.vertx.core.json.JsonArray a
                        ? String.join(",", a.stream().map(String::valueOf).toList()) : json.getValue(k).toString());
                uri = json.getValue("uri") instanceof String s ? s : null;
                name = json.getValue("name") instanceof String s ? s : null;
                if (name != null) {
                    requireFileName(name);
                }
            } catch (DecodeException e) {
                ctx.fail(new StunetException(ErrorCode.INVALID_REQUEST, "body is not a JSON object"));
                return;
            } catch (StunetException e) {
                ctx.fail(e);
                return;
            }
            submitter.submitUri(uri, name, options, "uri").onSuccess(s -> respond(ctx, s)).onFailure(ctx::fail);
        });
        req.resume();
    }

    private void respond(RoutingContext ctx, Submission s) {
        ctx.response().setStatusCode(s.existing() ? 200 : 202)
                .putHeader("Location", "/v1/cases/" + s.caseId())
                .putHeader("Content-Type", "application/json")
                .end(statusJson(s.status()).put("existing", s.existing()).encode());
    }

    private void status(RoutingContext ctx) {
        String id = caseId(ctx);
        if (id == null) {
            return;
        }
        CaseStatus s = submitter.status(id).orElse(null);
        if (s == null) {
            ctx.fail(new StunetException(ErrorCode.NOT_FOUND, "unknown case"));
            return;
        }
        ctx.response().putHeader("Content-Type", "application/json").end(statusJson(s).encode());
    }

    /**
     * A stored output of a completed case; with {@code attachmentSuffix}, sent as an
     * attachment named by the case id (never the input name, which may carry patient data).
     * A completed case without that output (a SEG of a NIfTI case) is NOT_FOUND.
     */
    private void result(RoutingContext ctx, java.util.function.UnaryOperator<String> blob, String mediaType,
                        String attachmentSuffix) {
        String id = caseId(ctx);
        if (id == null) {
            return;
        }
        CaseStatus s = submitter.status(id).orElse(null);
        if (s == null || s.state() != CaseState.COMPLETED) {
            ctx.fail(new StunetException(ErrorCode.NOT_FOUND, s == null ? "unknown case" : "case is not completed"));
            return;
        }
        String key = blob.apply(id);
        vertx.executeBlocking(() -> store.exists(key) ? Buffer.buffer(store.get(key)) : null, false).onSuccess(data -> {
            if (data == null) {
                ctx.fail(new StunetException(ErrorCode.NOT_FOUND, "result blob missing"));
                return;
            }
            HttpServerResponse resp = ctx.response();
            resp.putHeader("Content-Type", mediaType);
            if (attachmentSuffix != null) {
                resp.putHeader("Content-Disposition", "attachment; filename=\"" + id + attachmentSuffix + "\"");
            }
            resp.end(data);
        }).onFailure(ctx::fail);
    }

    private void events(RoutingContext ctx) {
        String filter = ctx.request().getParam("case");
        if (filter != null && !CaseIds.isValid(filter)) {
            ctx.fail(new StunetException(ErrorCode.INVALID_REQUEST, "case must be a case id"));
            return;
        }
        HttpServerResponse resp = ctx.response();
        resp.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache");
        resp.write(": stunet case status events\n\n");
        Context context = vertx.getOrCreateContext();
        Runnable[] remove = new Runnable[1];
        long heartbeat = vertx.setPeriodic(SSE_HEARTBEAT_MS, id -> resp.write(": keep-alive\n\n"));
        remove[0] = view.addListener(s -> {
            if (filter == null || filter.equals(s.caseId())) {
                context.runOnContext(v -> {
                    if (resp.closed() || resp.ended()) {
                        return;
                    }
                    if (resp.writeQueueFull()) {
                        // A client that cannot keep up is dropped; it reconnects and reads the current state.
                        ctx.request().connection().close();
                        return;
                    }
                    resp.write("event: status\ndata: " + statusJson(s).encode() + "\n\n");
                });
            }
        });
        resp.closeHandler(v -> {
            remove[0].run();
            vertx.cancelTimer(heartbeat);
        });
        if (filter != null) {
            view.get(filter).ifPresent(s -> resp.write("event: status\ndata: " + statusJson(s).encode() + "\n\n"));
        }
    }

    private static String caseId(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!CaseIds.isValid(id)) {
            ctx.fail(new StunetException(ErrorCode.INVALID_REQUEST, "not a case id"));
            return null;
        }
        return id;
    }

    static JsonObject statusJson(CaseStatus s) {
        JsonObject o = new JsonObject().put("caseId", s.caseId()).put("state", s.state().name())
                .put("progress", s.progress()).put("stage", s.stage()).put("updatedAtMillis", s.updatedAtMillis());
        if (s.errorCode() != null) {
            o.put("errorCode", s.errorCode().name()).put("errorMessage", s.errorMessage());
        }
        return o;
    }

    private static void requireFileName(String name) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,200}")) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "name must be a plain file name of [A-Za-z0-9._-]");
        }
        NiftiNames.requireNifti(name);
    }

    private static long parseLength(String raw) {
        try {
            return Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "malformed Content-Length");
        }
    }

    private static byte[] sha256(String s) {
        return Digests.sha256().digest(s.getBytes(StandardCharsets.UTF_8));
    }
}
