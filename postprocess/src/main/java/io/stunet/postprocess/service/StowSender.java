package io.stunet.postprocess.service;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * Sends a DICOM object (the case's SEG, Part 10 bytes) to a DICOMweb destination as a STOW-RS
 * request: {@code POST {base}/studies} with one {@code application/dicom} part in a
 * {@code multipart/related} body, {@code Accept: application/dicom+json}, and, when a token is
 * configured, {@code Authorization: Bearer}. 200 and 202 count as delivered; any other status,
 * an I/O error or the timeout is {@link ErrorCode#UNAVAILABLE}, which is retriable, so the
 * postprocess stage retries the record with backoff and finally dead-letters it with the
 * status in the message. The token is never logged or put into a message, and the response
 * body is discarded unread (a destination's failure report may echo patient attributes).
 */
public final class StowSender implements SegDestination {
    private static final Logger LOG = LoggerFactory.getLogger(StowSender.class);

    private final URI studies;
    private final String token;
    private final Duration timeout;
    private final HttpClient client;

    /**
     * @param baseUrl the DICOMweb service root (STOW-RS goes to {@code baseUrl + "/studies"})
     * @param token   bearer token, or {@code null} for none
     * @param timeout connect timeout, and the longest wait for the response
     */
    public StowSender(String baseUrl, String token, Duration timeout) {
        Objects.requireNonNull(baseUrl, "baseUrl");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        URI uri;
        try {
            uri = URI.create(base + "/studies");
        } catch (IllegalArgumentException e) {
            throw new StunetException(ErrorCode.INVALID_CONFIG, "STOW-RS destination is not a URL: " + e.getMessage(), e);
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new StunetException(ErrorCode.INVALID_CONFIG, "STOW-RS destination must be an http(s) URL with a host");
        }
        if (uri.getUserInfo() != null) {
            // Credentials in the URL would end up in messages and logs; the token key is the way to authenticate.
            throw new StunetException(ErrorCode.INVALID_CONFIG, "STOW-RS destination URL must not contain credentials; use the token key");
        }
        this.studies = uri;
        this.token = token == null || token.isBlank() ? null : token.trim();
        // HTTP/1.1: the default would offer a cleartext HTTP/2 upgrade on a request with a body,
        // which some DICOMweb servers mishandle. Redirects are not followed so the token goes
        // only to the configured host.
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The request URI, {@code {base}/studies}. */
    public URI target() {
        return studies;
    }

    /**
     * Posts {@code dicom} (one Part 10 object) and returns the response status (200 or 202).
     * Blocking; call it on a worker thread.
     *
     * @throws StunetException UNAVAILABLE when the destination is unreachable, times out or
     *                         answers with another status
     */
    public int send(String caseId, byte[] dicom) {
        String boundary = "stunet-" + UUID.randomUUID();
        HttpRequest.Builder request = HttpRequest.newBuilder(studies)
                .timeout(timeout)
                .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
                .header("Accept", "application/dicom+json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart(boundary, dicom)));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        long started = System.nanoTime();
        HttpResponse<Void> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            LOG.warn("event=stow_send_failed case={} target={} error={}", caseId, studies, e.getClass().getSimpleName());
            throw new StunetException(ErrorCode.UNAVAILABLE, "STOW-RS destination " + studies + " unreachable: "
                    + e.getClass().getSimpleName(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StunetException(ErrorCode.UNAVAILABLE, "STOW-RS send to " + studies + " interrupted", e);
        }
        int status = response.statusCode();
        long ms = (System.nanoTime() - started) / 1_000_000;
        if (status != 200 && status != 202) {
            LOG.warn("event=stow_send_refused case={} target={} status={} ms={}", caseId, studies, status, ms);
            throw new StunetException(ErrorCode.UNAVAILABLE, "STOW-RS destination " + studies + " answered HTTP " + status);
        }
        LOG.info("event=stow_sent case={} target={} status={} bytes={} ms={}", caseId, studies, status, dicom.length, ms);
        return status;
    }

    @Override
    public void deliver(String caseId, byte[] seg) {
        send(caseId, seg);
    }

    @Override
    public String kind() {
        return "stow";
    }

    @Override
    public String address() {
        return studies.toString();
    }

    /** The body: one part with the object's bytes unchanged, CRLF framing per RFC 2046. */
    static byte[] multipart(String boundary, byte[] dicom) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(dicom.length + 256);
        out.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(dicom);
        out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
