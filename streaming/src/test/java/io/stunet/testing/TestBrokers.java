package io.stunet.testing;

import io.stunet.broker.EmbeddedKafka;
import io.stunet.kafka.LocalBroker;

import java.nio.file.Path;
import java.util.Map;

/** The in-process broker as a {@link LocalBroker.Launcher} for tests that start a streaming runtime. */
public final class TestBrokers {
    private TestBrokers() {
    }

    public static LocalBroker embedded(Path dir, int port) {
        EmbeddedKafka kafka = EmbeddedKafka.start(dir, port, Map.of());
        return LocalBroker.of(kafka.bootstrapServers(), kafka::close);
    }
}
