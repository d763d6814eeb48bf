package io.stunet.ingest.dicom;

import io.stunet.dicom.dimse.DicomStatus;
import io.stunet.dicom.dimse.DicomUids;
import io.stunet.ingest.BodySpool;

import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.stunet.dicom.DicomFile;
import io.stunet.dicom.DicomReader;
import io.stunet.dicom.Tag;
import io.stunet.error.InvalidDicomException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * STOW-RS (PS3.18 section 10.5): {@code POST <base>/studies[/{study}]} with a
 * {@code multipart/related; type="application/dicom"} body of Part 10 instances. The body is
 * streamed to a spool file (bounded by the configured size), then each part is checked like
 * a C-STORE (file meta, SOP class, transfer syntax, whole data set, study of the path) and
 * written into the {@link SeriesSpool}. The answer is DICOM JSON with ReferencedSOPSequence
 * and FailedSOPSequence (FailureReason = the DIMSE status): 200 when every part was stored,
 * 202 when some were, 409 when none; 400, 413 and 415 for requests that are not STOW-RS.
 */
public final class StowRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(StowRoutes.class);
    static final String DICOM_JSON = "application/dicom+json";

    private final Vertx vertx;
    private final SeriesSpool spool;
    private final long maxBytes;
    private final boolean requestEndsSeries;

    public StowRoutes(Vertx vertx, SeriesSpool spool, long maxBytes, boolean requestEndsSeries) {
        this.vertx = vertx;
        this.spool = spool;
        this.maxBytes = maxBytes;
        this.requestEndsSeries = requestEndsSeries;
    }

    /** Mounts {@code POST base/studies} and {@code POST base/studies/:study}. */
    public void mount(Router router, String base) {
        router.post(base + "/studies").handler(this::stow);
        router.post(base + "/studies/:study").handler(this::stow);
    }

    private void stow(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        req.pause();
        String study = ctx.pathParam("study");
        if (study != null && !study.matches("[0-9][0-9.]{0,63}")) {
            error(ctx, 400, "INVALID_REQUEST", "study in the path is not a UID");
            return;
        }
        String contentType = req.getHeader(HttpHeaders.CONTENT_TYPE);
        String boundary;
        if (contentType == null || !contentType.trim().toLowerCase(Locale.ROOT).startsWith("multipart/related")) {
            error(ctx, 415, "INVALID_REQUEST", "Content-Type must be multipart/related; type=\"application/dicom\"");
            return;
        }
        String type = parameter(contentType, "type");
        if (type != null && !type.equalsIgnoreCase("application/dicom")) {
            error(ctx, 415, "INVALID_REQUEST", "only type=\"application/dicom\" parts are accepted");
            return;
        }
        boundary = parameter(contentType, "boundary");
        if (boundary == null || boundary.isEmpty() || boundary.length() > 70) {
            error(ctx, 400, "INVALID_REQUEST", "multipart/related without a valid boundary");
            return;
        }
        String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > maxBytes) {
                    tooLarge(ctx);
                    return;
                }
            } catch (NumberFormatException e) {
                error(ctx, 400, "INVALID_REQUEST", "malformed Content-Length");
                return;
            }
        }
        if ("100-continue".equalsIgnoreCase(req.getHeader(HttpHeaders.EXPECT))) {
            ctx.response().writeContinue();
        }
        Path body = spool.tmpDir().resolve("stow-" + java.util.UUID.randomUUID() + ".part");
        vertx.fileSystem().open(body.toString(), new OpenOptions().setWrite(true).setCreateNew(true))
                .onFailure(err -> error(ctx, 503, "IO_FAILURE", "cannot spool the request"))
                .onSuccess(file -> receive(ctx, file, body, boundary, study));
    }

    private void receive(RoutingContext ctx, AsyncFile file, Path body, String boundary, String study) {
        // A failed body (too large: already answered; broken connection: nobody to answer) ends here.
        BodySpool.receive(vertx, ctx.request(), file, body, maxBytes, buf -> { }, () -> tooLarge(ctx)).onSuccess(received -> {
            vertx.executeBlocking(() -> storeParts(body, boundary, study), false)
                    .onComplete(ar -> {
                        vertx.fileSystem().delete(body.toString());
                        if (ar.failed()) {
                            if (ar.cause() instanceof DicomRefusal r) {
                                error(ctx, 400, "INVALID_REQUEST", r.getMessage());
                            } else {
                                LOG.error("event=dicom_stow_failed error={}", ar.cause().getClass().getSimpleName());
                                error(ctx, 503, "IO_FAILURE", "request could not be processed");
                            }
                            return;
                        }
                        Outcome o = ar.result();
                        int status = o.failed.isEmpty() ? 200 : o.referenced.isEmpty() ? 409 : 202;
                        LOG.info("event=dicom_stow bytes={} stored={} failed={} status={}", received, o.referenced.size(),
                                o.failed.size(), status);
                        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, DICOM_JSON)
                                .end(o.json().encode());
                    });
        });
    }

    /** What happened to the parts of one request. */
    private static final class Outcome {
        final JsonArray referenced = new JsonArray();
        final JsonArray failed = new JsonArray();

        JsonObject json() {
            JsonObject o = new JsonObject();
            if (!failed.isEmpty()) {
                o.put("00081198", new JsonObject().put("vr", "SQ").put("Value", failed));
            }
            if (!referenced.isEmpty()) {
                o.put("00081199", new JsonObject().put("vr", "SQ").put("Value", referenced));
            }
            return o;
        }
    }

    /** Splits the spooled body into parts and stores each; runs on a worker thread. */
    private Outcome storeParts(Path body, String boundary, String study) throws IOException {
        Outcome outcome = new Outcome();
        Set<String> series = new LinkedHashSet<>();
        try (FileChannel ch = FileChannel.open(body, StandardOpenOption.READ)) {
            ByteBuffer all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            for (ByteBuffer part : Multipart.parts(all, boundary)) {
                storePart(part, study, outcome, series);
            }
        }
        if (requestEndsSeries) {
            series.forEach(spool::endSeries);
        }
        return outcome;
    }

    private void storePart(ByteBuffer part, String study, Outcome outcome, Set<String> series) throws IOException {
        String sopClass = null;
        String sopInstance = null;
        try {
            int headerEnd = Multipart.headerEnd(part);
            String headers = headerEnd <= 0 ? "" : StandardCharsets.ISO_8859_1.decode(part.slice(0, headerEnd)).toString();
            String partType = Multipart.header(headers, "content-type");
            if (partType != null && !partType.trim().toLowerCase(Locale.ROOT).startsWith("application/dicom")) {
                throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "part is not application/dicom");
            }
            int bodyStart = headerEnd + 4;
            ByteBuffer file = part.slice(bodyStart, part.limit() - bodyStart);
            byte[] bytes = new byte[file.remaining()];
            file.duplicate().get(bytes);
            DicomFile parsed;
            try {
                parsed = DicomReader.read(bytes);
            } catch (InvalidDicomException e) {
                throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, e.getMessage());
            }
            sopClass = parsed.meta().getString(Tag.MediaStorageSOPClassUID);
            sopInstance = parsed.meta().getString(Tag.MediaStorageSOPInstanceUID);
            String transferSyntax = parsed.meta().getString(Tag.TransferSyntaxUID);
            if (sopClass == null || sopInstance == null) {
                throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND,
                        "file meta information lacks the SOP class or SOP instance UID");
            }
            if (!DicomUids.STORAGE_CLASSES.contains(sopClass)) {
                throw new DicomRefusal(DicomStatus.SOP_CLASS_NOT_SUPPORTED, "SOP class is not stored here");
            }
            int datasetOffset = DicomReader.datasetOffset(bytes);
            ByteBuffer dataset = file.slice(datasetOffset, file.limit() - datasetOffset);
            InstanceKeys keys = InstanceKeys.of(java.util.Arrays.copyOfRange(bytes, datasetOffset, bytes.length), transferSyntax);
            if (!keys.sopClassUid().equals(sopClass) || !keys.sopInstanceUid().equals(sopInstance)) {
                throw new DicomRefusal(DicomStatus.DATASET_MISMATCH, "data set SOP class or instance differs from the file meta");
            }
            if (study != null && !study.equals(keys.studyUid())) {
                throw new DicomRefusal(DicomStatus.DATASET_MISMATCH, "instance belongs to another study than the request path");
            }
            spool.store(keys, transferSyntax, null, out -> {
                WritableByteChannel w = Channels.newChannel(out);
                ByteBuffer d = dataset.duplicate();
                while (d.hasRemaining()) {
                    w.write(d);
                }
            });
            series.add(keys.seriesKey());
            outcome.referenced.add(reference(sopClass, sopInstance));
            LOG.info("event=dicom_instance_stored via=stow sop_class={} transfer_syntax={} bytes={} series={}", sopClass,
                    transferSyntax, dataset.remaining(), keys.seriesKey());
        } catch (DicomRefusal r) {
            JsonObject item = reference(sopClass, sopInstance)
                    .put("00081197", new JsonObject().put("vr", "US").put("Value", new JsonArray().add(r.status())));
            outcome.failed.add(item);
            LOG.warn("event=dicom_instance_refused via=stow sop_class={} bytes={} status={} reason=\"{}\"", sopClass,
                    part.remaining(), DicomStatus.hex(r.status()), r.getMessage());
        }
    }

    private static JsonObject reference(String sopClass, String sopInstance) {
        JsonObject item = new JsonObject();
        if (sopClass != null) {
            item.put("00081150", new JsonObject().put("vr", "UI").put("Value", new JsonArray().add(sopClass)));
        }
        if (sopInstance != null) {
            item.put("00081155", new JsonObject().put("vr", "UI").put("Value", new JsonArray().add(sopInstance)));
        }
        return item;
    }

    /** A parameter of a header value ({@code name=value} or {@code name="value"}), or null. */
    static String parameter(String headerValue, String name) {
        for (String p : headerValue.split(";")) {
            String t = p.trim();
            int eq = t.indexOf('=');
            if (eq > 0 && t.substring(0, eq).trim().equalsIgnoreCase(name)) {
                String v = t.substring(eq + 1).trim();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                return v;
            }
        }
        return null;
    }

    private void tooLarge(RoutingContext ctx) {
        error(ctx, 413, "PAYLOAD_TOO_LARGE", "body exceeds " + maxBytes + " bytes");
    }

    private static void error(RoutingContext ctx, int status, String code, String message) {
        if (ctx.response().ended()) {
            return;
        }
        if (!ctx.request().isEnded()) {
            // The unread rest of the body would be taken for the next request: close after answering.
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
            ctx.response().endHandler(v -> ctx.request().connection().close());
        }
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(new JsonObject().put("code", code).put("message", message).encode());
    }

    /** Reads a byte buffer as a stream (the scanner's input). */
    private static final class ByteBufferInput extends java.io.InputStream {
        private final ByteBuffer b;

        ByteBufferInput(ByteBuffer b) {
            this.b = b;
        }

        @Override
        public int read() {
            return b.hasRemaining() ? b.get() & 0xFF : -1;
        }

        @Override
        public int read(byte[] dst, int off, int len) {
            if (!b.hasRemaining()) {
                return len == 0 ? 0 : -1;
            }
            int n = Math.min(len, b.remaining());
            b.get(dst, off, n);
            return n;
        }

        @Override
        public long skip(long n) {
            int k = (int) Math.min(n, b.remaining());
            b.position(b.position() + k);
            return k;
        }
    }

    /** Splitting a multipart body (RFC 2046 section 5.1) held in a buffer. */
    static final class Multipart {
        private Multipart() {
        }

        /**
         * The parts (headers and body, without the delimiter lines) of {@code body}.
         *
         * @throws DicomRefusal when the body has no opening delimiter or no closing one
         */
        static List<ByteBuffer> parts(ByteBuffer body, String boundary) {
            byte[] dash = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
            byte[] delim = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
            List<ByteBuffer> parts = new ArrayList<>();
            int pos;
            if (startsWith(body, 0, dash)) {
                pos = dash.length;
            } else {
                int at = indexOf(body, delim, 0);
                if (at < 0) {
                    throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "body has no multipart delimiter");
                }
                pos = at + delim.length;
            }
            while (true) {
                if (startsWith(body, pos, "--".getBytes(StandardCharsets.ISO_8859_1))) {
                    return parts;
                }
                int lineEnd = indexOf(body, "\r\n".getBytes(StandardCharsets.ISO_8859_1), pos);
                if (lineEnd < 0) {
                    throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "multipart body ends inside a delimiter line");
                }
                int start = lineEnd + 2;
                int next = indexOf(body, delim, start);
                if (next < 0) {
                    throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "multipart body has no closing delimiter");
                }
                parts.add(body.slice(start, next - start));
                pos = next + delim.length;
            }
        }

        /** Offset of the blank line ending a part's headers; -2 for a part without headers (starting with the blank line). */
        static int headerEnd(ByteBuffer part) {
            if (startsWith(part, 0, "\r\n".getBytes(StandardCharsets.ISO_8859_1))) {
                return -2;
            }
            int at = indexOf(part, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
            if (at < 0) {
                throw new DicomRefusal(DicomStatus.CANNOT_UNDERSTAND, "part has no header section end");
            }
            return at;
        }

        /** The value of header {@code name} (case-insensitive) in a part's header block, or null. */
        static String header(String headers, String name) {
            for (String line : headers.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        private static boolean startsWith(ByteBuffer b, int at, byte[] prefix) {
            if (at < 0 || at + prefix.length > b.limit()) {
                return false;
            }
            for (int i = 0; i < prefix.length; i++) {
                if (b.get(at + i) != prefix[i]) {
                    return false;
                }
            }
            return true;
        }

        private static int indexOf(ByteBuffer b, byte[] needle, int from) {
            int last = b.limit() - needle.length;
            byte first = needle[0];
            for (int i = Math.max(0, from); i <= last; i++) {
                if (b.get(i) == first && startsWith(b, i, needle)) {
                    return i;
                }
            }
            return -1;
        }
    }
}
