package io.stunet.infer.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.stunet.engine.EngineListener;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToDoubleFunction;

/**
 * The inference engine's hooks as Prometheus meters: network inputs run
 * ({@code stunet_infer_patches_total}; its rate is patches/s), batch fill ratio per forward
 * pass and forward-pass time per device. Called from device threads; meters are thread-safe
 * and created once per device.
 */
public final class EngineMetrics implements EngineListener {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Meters> byDevice = new ConcurrentHashMap<>();

    private record Meters(Counter patches, DistributionSummary fill, Timer forward) {
    }

    public EngineMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Per device slot, the cumulative seconds it spent on forward passes plus aggregation,
     * as a counter ({@code stunet_infer_device_busy_seconds_total{device="gpu0#0"}}): its
     * rate() is the device's busy ratio.
     *
     * @param busySeconds busy seconds so far of the slot with the given index
     */
    public static void registerDeviceBusy(MeterRegistry registry, List<String> devices, IntToDoubleFunction busySeconds) {
        for (int i = 0; i < devices.size(); i++) {
            int slot = i;
            FunctionCounter.builder("stunet_infer_device_busy_seconds", busySeconds, f -> f.applyAsDouble(slot))
                    .tag("device", devices.get(i) + "#" + i)
                    .description("Forward-pass plus aggregation time of a device slot; rate() gives the busy ratio")
                    .register(registry);
        }
    }

    @Override
    public void onBatch(String device, int filled, int capacity, long forwardNanos, long aggregateNanos) {
        Meters m = byDevice.computeIfAbsent(device, d -> new Meters(
                Counter.builder("stunet_infer_patches").tag("device", d)
                        .description("network inputs run (tiles x mirrors)").register(registry),
                DistributionSummary.builder("stunet_infer_batch_fill_ratio").tag("device", d)
                        .description("filled batch slots / batch size per forward pass").register(registry),
                Timer.builder("stunet_infer_forward_seconds").tag("device", d).register(registry)));
        m.patches().increment(filled);
        m.fill().record(capacity == 0 ? 0 : (double) filled / capacity);
        m.forward().record(forwardNanos, TimeUnit.NANOSECONDS);
    }
}
