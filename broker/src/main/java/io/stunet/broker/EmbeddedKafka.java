package io.stunet.broker;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * A single-node Kafka broker (KRaft, combined broker and controller) inside this JVM, for
 * {@code run}, {@code serve} without {@code --bootstrap}, and tests. Its data lives under
 * the given directory: the storage is formatted on first start only, so a later start with
 * the same directory keeps topics, records and committed offsets. It listens on loopback
 * only; internal topics use replication factor 1, and the log cleaner's dedupe buffer is
 * shrunk from its on-heap 128 MiB default because our only compacted topic is small.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    /**
     * Name of the listener clients connect to (plaintext unless the overrides map it to
     * another protocol: {@code listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT}
     * plus {@code sasl.enabled.mechanisms} and {@code listener.name.client.<mechanism>.sasl.jaas.config}).
     */
    public static final String CLIENT_LISTENER = "CLIENT";

    private final Path dataDir;
    private final int brokerPort;
    private final KafkaRaftServer server;
    private boolean closed;

    private EmbeddedKafka(Path dataDir, int brokerPort, KafkaRaftServer server) {
        this.dataDir = dataDir;
        this.brokerPort = brokerPort;
        this.server = server;
    }

    /** Starts a broker on loopback with its data under {@code dataDir}, on its previous ports when they are free. */
    public static EmbeddedKafka start(Path dataDir) {
        return start(dataDir, 0, Map.of());
    }

    /**
     * Starts a broker.
     *
     * @param dataDir    where logs and metadata live; created if missing, reused if formatted
     * @param brokerPort client port, or 0 for the previous run's port if free, else a free one
     * @param overrides  extra broker properties, applied last (e.g. SASL on {@link #CLIENT_LISTENER})
     */
    public static EmbeddedKafka start(Path dataDir, int brokerPort, Map<String, String> overrides) {
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(dataDir);
            // Clients (and a broker restarted in the same JVM) find the broker where it was.
            Path portsFile = dataDir.resolve("ports");
            int[] previous = readPorts(portsFile);
            int port = brokerPort != 0 ? brokerPort : reuseOrFree(previous[0]);
            int controllerPort = reuseOrFree(previous[1]);
            Files.writeString(portsFile, port + " " + controllerPort + "\n");
            Path logDir = dataDir.resolve("logs");
            Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", Integer.toString(NODE_ID));
            p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
            p.put("listeners", CLIENT_LISTENER + "://127.0.0.1:" + port + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", CLIENT_LISTENER + "://127.0.0.1:" + port);
            p.put("controller.listener.names", CONTROLLER_LISTENER);
            p.put("inter.broker.listener.name", CLIENT_LISTENER);
            p.put("listener.security.protocol.map", CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
            p.put("log.dirs", logDir.toAbsolutePath().toString());
            p.put("num.partitions", "1");
            p.put("auto.create.topics.enable", "false");
            p.put("offsets.topic.replication.factor", "1");
            // Fewer offsets partitions: the group coordinator loads each one at start-up.
            p.put("offsets.topic.num.partitions", "4");
            p.put("transaction.state.log.replication.factor", "1");
            p.put("transaction.state.log.min.isr", "1");
            p.put("transaction.state.log.num.partitions", "4");
            p.put("share.coordinator.state.topic.replication.factor", "1");
            p.put("share.coordinator.state.topic.min.isr", "1");
            p.put("group.initial.rebalance.delay.ms", "0");
            p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
            p.put("log.cleaner.threads", "1");
            overrides.forEach(p::put);
            KafkaConfig config = new KafkaConfig(p, false);
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(config, logDir);
            }
            KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            LOG.info("event=embedded_kafka_started port={} millis={}", port, (System.nanoTime() - t0) / 1_000_000);
            return new EmbeddedKafka(dataDir, port, server);
        } catch (IOException e) {
            throw new StunetException(ErrorCode.BROKER_FAILURE, "cannot prepare broker directory: " + e.getMessage(), e);
        }
    }

    private static void format(KafkaConfig config, Path logDir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            Formatter f = new Formatter()
                    .setPrintStream(ps)
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .addDirectory(logDir.toAbsolutePath().toString());
            f.run();
        } catch (Exception e) {
            throw new StunetException(ErrorCode.BROKER_FAILURE, "cannot format broker storage: " + e.getMessage(), e);
        }
        LOG.debug("event=embedded_kafka_formatted output={}", out.toString(StandardCharsets.UTF_8).trim());
    }

    private static int[] readPorts(Path file) {
        try {
            String[] parts = Files.readString(file).trim().split(" ");
            return new int[]{Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        } catch (IOException | RuntimeException e) {
            return new int[]{0, 0};
        }
    }

    /** The previous port when it can be bound again, else a free one. */
    private static int reuseOrFree(int previous) {
        if (previous > 0) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), previous));
                return previous;
            } catch (IOException e) {
                LOG.info("event=embedded_kafka_port_taken port={}", previous);
            }
        }
        return freePort();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code host:port} for clients. */
    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Stops the broker and waits until it has flushed and released its files. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        LOG.info("event=embedded_kafka_stopped port={}", brokerPort);
    }
}
