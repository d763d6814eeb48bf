package io.stunet.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Named readiness checks of a service (broker reachable, consumer running, model loaded,
 * ...). The service is ready when every check passes; a check that throws counts as failed.
 * Checks are called on the HTTP event loop, so they must be cheap and non-blocking: read a
 * flag kept up to date elsewhere. Thread-safe.
 */
public final class HealthChecks {
    private final Map<String, BooleanSupplier> checks = new ConcurrentHashMap<>();

    public HealthChecks register(String name, BooleanSupplier check) {
        checks.put(name, check);
        return this;
    }

    public HealthChecks unregister(String name) {
        checks.remove(name);
        return this;
    }

    /** Every check's current result, by name (sorted). */
    public Map<String, Boolean> evaluate() {
        Map<String, Boolean> out = new LinkedHashMap<>();
        checks.keySet().stream().sorted().forEach(name -> {
            boolean ok;
            try {
                ok = checks.get(name).getAsBoolean();
            } catch (RuntimeException e) {
                ok = false;
            }
            out.put(name, ok);
        });
        return out;
    }

    public boolean ready() {
        return !evaluate().containsValue(false);
    }
}
