package dev.jslirp.e2e.nat;

import java.io.Closeable;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * What the host-side test servers share: a bound socket served by daemon threads (one to
 * accept or receive, one per TCP connection), and a {@link #close()} that closes the socket
 * and stops the threads. Blocking I/O keeps each server a few lines; the counts a test needs
 * are small (tens of connections).
 */
abstract class TestServer implements AutoCloseable {
    private static final AtomicInteger IDS = new AtomicInteger();
    private final Closeable socket;
    final ExecutorService threads;

    TestServer(Closeable socket, String name) {
        this.socket = socket;
        String prefix = name + "-" + IDS.incrementAndGet() + "-";
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the accept or receive loop; subclasses call it once constructed. */
    final void startServing() {
        threads.execute(this::serve);
    }

    /** The accept or receive loop; returns once the socket is closed. */
    abstract void serve();

    /**
     * An accept loop: each connection {@code server} accepts goes to {@code handler} on a
     * thread of its own, until the socket is closed.
     */
    final void acceptEach(ServerSocket server, Consumer<Socket> handler) {
        while (!server.isClosed()) {
            try {
                Socket c = server.accept();
                threads.execute(() -> handler.accept(c));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a listening socket does not fail in a way a test could act on
        }
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
