package io.stunet.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * dcmtk's storescp (an independent storage SCP, AE title {@code PACS}) on a free loopback port,
 * writing every object it receives bit for bit as {@code *.dcm} under a directory; stopped by
 * {@link #close()}.
 */
public final class Storescp implements AutoCloseable {
    private final Process process;
    private final Path out;
    private final int port;

    private Storescp(Process process, Path out, int port) {
        this.process = process;
        this.out = out;
        this.port = port;
    }

    /** Starts it and waits until it listens; {@code extra} storescp options come first (e.g. {@code --refuse}). */
    public static Storescp start(Path out, String... extra) throws IOException, InterruptedException {
        Files.createDirectories(out);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of("storescp", "+B", "-aet", "PACS", "-fe", ".dcm", "-od", out.toString()));
        cmd.addAll(List.of(extra));
        cmd.add(String.valueOf(port));
        Path log = out.resolveSibling(out.getFileName() + "-storescp.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return new Storescp(p, out, port);
            } catch (IOException e) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("storescp ended: " + Files.readString(log));
                }
                Thread.sleep(50);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("storescp did not listen on " + port);
    }

    public int port() {
        return port;
    }

    /** {@code PACS@127.0.0.1:port}. */
    public String destination() {
        return "PACS@127.0.0.1:" + port;
    }

    /** The objects received so far, sorted by path. */
    public List<Path> received() throws IOException {
        try (Stream<Path> s = Files.walk(out)) {
            return s.filter(p -> p.toString().endsWith(".dcm")).sorted().toList();
        }
    }

    @Override
    public void close() {
        process.destroy();
    }
}
