package io.stunet.streaming;

import io.stunet.broker.EmbeddedKafka;
import io.stunet.kafka.LocalBroker;

import java.nio.file.Path;
import java.util.Map;

/** The in-process broker as the streaming runtime's {@link LocalBroker.Launcher} ({@code run}, {@code serve} without a bootstrap). */
public final class EmbeddedBroker {
    private EmbeddedBroker() {
    }

    public static LocalBroker start(Path dir, int port) {
        EmbeddedKafka kafka = EmbeddedKafka.start(dir, port, Map.of());
        return LocalBroker.of(kafka.bootstrapServers(), kafka::close);
    }
}
