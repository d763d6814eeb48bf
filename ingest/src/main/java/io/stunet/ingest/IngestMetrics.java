package io.stunet.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import io.stunet.kafka.CaseStatusView;
import io.stunet.records.CaseState;
import java.util.concurrent.TimeUnit;

/**
 * Ingest's meters: {@code stunet_ingest_cases_total{source, outcome}} (outcome
 * {@code accepted}, {@code existing}, {@code refused} (not NIfTI) or {@code error} (broker,
 * store, I/O); source {@code http}, {@code uri},
 * {@code inbox}, {@code api}), {@code stunet_ingest_upload_bytes_total} (bytes received in
 * request bodies), {@code stunet_ingest_request_seconds{route, method, status}} and
 * {@code stunet_cases{state}} (cases by their latest state on the status topic, as this
 * service's status view sees them).
 */
final class IngestMetrics {
    private final MeterRegistry registry;
    private final Counter uploadBytes;

    IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.uploadBytes = Counter.builder("stunet.ingest.upload.bytes").baseUnit("bytes")
                .description("Bytes received in upload bodies").register(registry);
    }

    /** One gauge per case state, counted from the status view at each scrape. */
    void casesByState(CaseStatusView view) {
        for (CaseState state : CaseState.values()) {
            Gauge.builder("stunet.cases", view, v -> v.snapshot().values().stream()
                            .filter(s -> s.state() == state).count())
                    .description("Cases by latest state").tag("state", state.name()).register(registry);
        }
    }

    void caseOutcome(String source, String outcome) {
        Counter.builder("stunet.ingest.cases").description("Case submissions by source and outcome")
                .tag("source", source).tag("outcome", outcome).register(registry).increment();
    }

    void uploadBytes(long n) {
        uploadBytes.increment(n);
    }

    void request(String route, String method, int status, long nanos) {
        Timer.builder("stunet.ingest.request").description("Ingest API request latency")
                .tag("route", route).tag("method", method).tag("status", Integer.toString(status))
                .publishPercentileHistogram().register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }
}
