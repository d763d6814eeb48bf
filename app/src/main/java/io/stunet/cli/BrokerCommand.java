package io.stunet.cli;

import io.stunet.broker.EmbeddedKafka;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stunet broker}: the single-node KRaft broker that {@code run} embeds, alone in its own
 * process on 127.0.0.1, so that stage processes ({@code serve --roles ... --bootstrap}) can be
 * started, stopped and killed independently of it. Its data directory is formatted on first
 * start only; a restart on the same directory keeps topics, records and committed offsets and
 * takes the previous port when it is free, so running clients reconnect. Prints
 * {@code bootstrap 127.0.0.1:PORT} on standard output once it accepts clients; SIGTERM (or
 * Ctrl-C) shuts it down cleanly.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Run the single-node Kafka broker on 127.0.0.1 in its own process (SIGTERM stops it).")
public final class BrokerCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "work/kafka",
            description = "Broker data directory; a restart with the same directory resumes (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--port", defaultValue = "0",
            description = "Client port; 0: the previous start's port when free, else a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Override
    public Integer call() throws InterruptedException {
        EmbeddedKafka kafka = EmbeddedKafka.start(dir, port, Map.of());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                kafka.close();
            } finally {
                stopped.countDown();
            }
        }, "stunet-broker-shutdown"));
        System.out.println("bootstrap " + kafka.bootstrapServers());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
