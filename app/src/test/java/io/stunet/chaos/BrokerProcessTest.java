package io.stunet.chaos;

import io.stunet.kafka.TopicDump;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code stunet broker} as its own process: it prints its bootstrap address, stops cleanly
 * on SIGTERM (the broker's shutdown completes: {@code event=embedded_kafka_stopped}), and a
 * restart on the same directory comes back on the same address with the topics a client
 * created before.
 */
@Tag("chaos")
class BrokerProcessTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void brokerProcessStopsCleanlyOnSigtermAndRestartsOnItsAddressWithItsTopics() {
        Path dir = tmp.resolve("kafka");
        Path model = io.stunet.testing.TestData.root().resolve("models/demo");
        try (ChildJvm first = ChildJvm.start("broker-1", tmp, tmp, 512, Map.of(), List.of("broker", "--dir", dir.toString()))) {
            String address = first.await("bootstrap (127\\.0\\.0\\.1:\\d+)", ChaosCluster.START_TIMEOUT);
            // A client creates the pipeline's topics, as every stage process does at start-up.
            new Client(address, tmp.resolve("blobs"), model, tmp.resolve("uploads")).close();
            first.terminate();
            int status = first.awaitExit(Duration.ofSeconds(90));
            assertTrue(status == 0 || status == 143, "exit status after SIGTERM: " + status + "\n" + first.tail());
            assertTrue(first.logText().contains("event=embedded_kafka_stopped"), first.tail());

            try (ChildJvm second = ChildJvm.start("broker-2", tmp, tmp, 512, Map.of(), List.of("broker", "--dir", dir.toString()))) {
                assertEquals(address, second.await("bootstrap (127\\.0\\.0\\.1:\\d+)", ChaosCluster.START_TIMEOUT));
                assertEquals(List.of(), TopicDump.read(address, io.stunet.topics.Topics.STATUS, io.stunet.records.CaseStatus.class),
                        "the status topic exists again, still empty");
                second.terminate();
                second.awaitExit(Duration.ofSeconds(90));
            }
        }
    }
}
