package io.stunet.kafka;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A Kafka broker that this process runs itself ({@code run}, {@code serve} without
 * {@code --bootstrap}). The streaming runtime only sees this handle: the broker and its
 * Scala dependencies live in the module that launches it (the {@code broker} module, used by
 * {@code app}), so a process that connects to an external cluster never loads them.
 */
public final class LocalBroker implements AutoCloseable {
    private final String bootstrapServers;
    private final Runnable close;

    private LocalBroker(String bootstrapServers, Runnable close) {
        this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        this.close = Objects.requireNonNull(close, "close");
    }

    /** A running broker reachable at {@code bootstrapServers}; {@code close} stops it. */
    public static LocalBroker of(String bootstrapServers, Runnable close) {
        return new LocalBroker(bootstrapServers, close);
    }

    /** Bootstrap servers of the running broker (a loopback address). */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        close.run();
    }

    /** Starts a broker with its data under {@code dir} on client port {@code port} (0: any free one). */
    @FunctionalInterface
    public interface Launcher {
        LocalBroker start(Path dir, int port);
    }
}
