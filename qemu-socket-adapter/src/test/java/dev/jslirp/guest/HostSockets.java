package dev.jslirp.guest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/** Endpoints on this machine for a test to wire QEMU and jslirp together. */
public final class HostSockets {
    /** sun_path holds 108 bytes including the terminating NUL (unix(7)). */
    private static final int UNIX_PATH_MAX = 107;

    private HostSockets() {}

    /**
     * Finds a TCP port on 127.0.0.1 that was free a moment ago. Another process may take it
     * before the caller binds it; prefer binding port 0 where the test controls the listener.
     *
     * @return a port number in the ephemeral range
     */
    public static int freeLoopbackTcpPort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free TCP port on 127.0.0.1", e);
        }
    }

    /**
     * Names a fresh unix socket path in the temp directory; nothing is created. The path is kept
     * short enough for {@code sun_path}; the caller deletes the socket file when done.
     *
     * @param prefix a short word saying what the socket is for
     * @return a path that does not exist yet
     */
    public static Path tempUnixSocketPath(String prefix) {
        String tmp = System.getProperty("java.io.tmpdir", "/tmp");
        for (int attempt = 0; attempt < 100; attempt++) {
            String name = "jslirp-" + prefix + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + ".sock";
            Path p = Path.of(tmp, name);
            if (p.toString().length() > UNIX_PATH_MAX) {
                p = Path.of("/tmp", name); // a long java.io.tmpdir must not break the socket
            }
            if (!p.toFile().exists()) {
                return p;
            }
        }
        throw new IllegalStateException("could not name a fresh unix socket path in " + tmp);
    }
}
