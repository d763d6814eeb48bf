package io.stunet.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real S3-compatible server on loopback for tests: moto's standalone server, run with the
 * interpreter that has {@code moto} installed (the pyenv {@code python3} on PATH, not
 * Debian's {@code /usr/bin/python3}). Started on a free port; {@link #close()} stops it.
 */
public final class MotoServer implements AutoCloseable {
    private final Process process;
    private final int port;

    private MotoServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public static MotoServer start() {
        String python = findPython();
        int port = freePort();
        try {
            Path log = Files.createTempFile("moto", ".log");
            Process p = new ProcessBuilder(python, "-m", "moto.server", "-H", "127.0.0.1", "-p", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            MotoServer server = new MotoServer(p, port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("moto server exited: " + Files.readString(log));
                }
                if (answers(port)) {
                    return server;
                }
                Thread.sleep(100);
            }
            server.close();
            throw new IllegalStateException("moto server did not answer within 60 s");
        } catch (IOException e) {
            throw new IllegalStateException("cannot start moto server", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting moto server", e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean answers(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/moto-api/").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            int code = c.getResponseCode();
            c.disconnect();
            return code > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code python3} on PATH when it imports moto, else any pyenv version that does. */
    static String findPython() {
        List<String> candidates = new ArrayList<>();
        candidates.add("python3");
        Path versions = Path.of(System.getProperty("user.home"), ".pyenv", "versions");
        if (Files.isDirectory(versions)) {
            try (var dirs = Files.list(versions)) {
                dirs.sorted().map(d -> d.resolve("bin/python3")).filter(Files::isExecutable)
                        .forEach(p -> candidates.add(p.toString()));
            } catch (IOException ignored) {
                // Fall through with what we have; the error below names the candidates.
            }
        }
        for (String python : candidates) {
            try {
                Process p = new ProcessBuilder(python, "-c", "import moto").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return python;
                }
            } catch (IOException e) {
                // Not installed under this name; try the next one.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new IllegalStateException("no python3 with moto among " + candidates);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
