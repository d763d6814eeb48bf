package io.stunet.ingest.dicom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The DIMSE storage SCP: a TCP listener that serves each association on a thread of a
 * bounded pool ({@link Association}) and spools what it receives into a {@link SeriesSpool}.
 * Beyond {@code maxAssociations} a caller gets a transient A-ASSOCIATE-RJ; beyond twice that
 * (a flood), the connection is closed at once. Blocking sockets on dedicated threads, not the
 * Vert.x event loop: every wait is bounded by the idle timeout.
 */
public final class DimseScp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DimseScp.class);

    private final ScpSettings settings;
    private final SeriesSpool spool;
    private final ThreadPoolExecutor pool;
    private final AtomicInteger active = new AtomicInteger();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private ServerSocket server;
    private Thread acceptor;

    public DimseScp(ScpSettings settings, SeriesSpool spool) {
        this.settings = settings;
        this.spool = spool;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(0, 2 * settings.maxAssociations(), 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> {
                    Thread t = new Thread(r, "dicom-association-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Binds the listener and starts accepting; returns once the port is bound. */
    public synchronized void start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName(settings.bind()), settings.port()), 50);
        server = s;
        acceptor = new Thread(this::acceptLoop, "dicom-scp-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("event=dicom_scp_listening bind={} port={} ae_title={} max_associations={}", settings.bind(), port(),
                settings.aeTitle(), settings.maxAssociations());
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!server.isClosed()) {
                    LOG.error("event=dicom_scp_accept_failed error={}", e.getClass().getSimpleName());
                }
                continue;
            }
            boolean overLimit = active.incrementAndGet() > settings.maxAssociations();
            sockets.add(socket);
            try {
                socket.setTcpNoDelay(true);
                pool.execute(() -> {
                    try {
                        new Association(socket, settings, spool, overLimit).run();
                    } finally {
                        sockets.remove(socket);
                        active.decrementAndGet();
                    }
                });
            } catch (RejectedExecutionException | IOException e) {
                LOG.warn("event=dicom_connection_refused reason=\"too many connections\"");
                sockets.remove(socket);
                active.decrementAndGet();
                closeQuietly(socket);
            }
        }
    }

    /** Stops listening and closes every open association's connection. */
    @Override
    public synchronized void close() {
        if (server == null) {
            return;
        }
        closeQuietly(server);
        sockets.forEach(DimseScp::closeQuietly);
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("event=dicom_scp_stopped");
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // Closing during shutdown; the peer sees the connection drop.
        }
    }
}
