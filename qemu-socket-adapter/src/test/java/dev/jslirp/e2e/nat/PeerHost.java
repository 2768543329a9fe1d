package dev.jslirp.e2e.nat;

import dev.jslirp.e2e.ProcessOutput;
import dev.jslirp.transport.tap.TestNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A "real world" host for the guest to reach through the NAT without leaving the machine: a
 * network namespace the test creates, joined by a veth pair to the namespace the backend's host
 * sockets live in ({@link HostSide}), with servers started inside it.
 *
 * <pre>
 *   host side (test JVM or libslirp's sandbox)          peer namespace jslirp-peer-XXXX
 *   jph-XXXX  198.51.100.1/24  &lt;--- veth ---&gt;  jpp-XXXX  198.51.100.2/24
 *                                                        HTTP :80 ({@link BlobHttpServer}),
 *                                                        UDP echo :7 ({@link UdpEchoServer})
 * </pre>
 *
 * <p>198.51.100.0/24 is TEST-NET-2 (RFC 5737), reserved for documentation: nothing real uses
 * it, and the route to it exists only while the veth does. A dual-stack peer
 * ({@link #createDualStack}) has {@value #ADDRESS6} too, the host side {@value #HOST_SIDE_ADDRESS6}
 * (2001:db8::/32 is IPv6's documentation prefix, RFC 3849), and its servers answer there. The servers run in a JVM of their own
 * ({@link #main}), started with {@code ip netns exec} and stopped through its process handle:
 * closing its stdin ends it, SIGKILL (by PID) if it lingers. {@link #close()} stops it and
 * deletes the namespace, which takes the veth pair with it; it also runs after a failed
 * {@link #create}.
 */
public final class PeerHost implements AutoCloseable {
    /** The host side's address on the link. */
    public static final String HOST_SIDE_ADDRESS = "198.51.100.1";
    /** The peer's address. */
    public static final String ADDRESS = "198.51.100.2";
    /** The host side's IPv6 address on the link, with {@link #createDualStack}. */
    public static final String HOST_SIDE_ADDRESS6 = "2001:db8:100::1";
    /** The peer's IPv6 address, with {@link #createDualStack}. */
    public static final String ADDRESS6 = "2001:db8:100::2";
    /** The peer's HTTP port. */
    public static final int HTTP_PORT = 80;
    /** The peer's UDP echo port (RFC 862's). */
    public static final int UDP_ECHO_PORT = 7;
    /** A TCP port nothing listens on at the peer. */
    public static final int CLOSED_PORT = 81;
    private static final String READY = "PEER-READY";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final HostSide side;
    private final TestNamespace ns;
    private final String hostVeth;
    private Process servers;
    private String blobSha256;

    private PeerHost(HostSide side, TestNamespace ns) {
        this.side = side;
        this.ns = ns;
        // Interface names have at most 15 characters; the namespace's random suffix keeps two
        // test runs apart.
        String suffix = ns.name().substring(ns.name().length() - 8);
        this.hostVeth = "jph" + suffix;
    }

    /**
     * Creates the namespace and the link, and starts the servers; the peer's {@code /blob} is
     * {@link Blob#random}{@code (blobSeed, blobSize)}.
     */
    public static PeerHost create(HostSide side, long blobSeed, int blobSize) {
        return create(side, blobSeed, blobSize, false);
    }

    /** As {@link #create}, with the IPv6 addresses as well. */
    public static PeerHost createDualStack(HostSide side, long blobSeed, int blobSize) {
        return create(side, blobSeed, blobSize, true);
    }

    private static PeerHost create(HostSide side, long blobSeed, int blobSize, boolean ipv6) {
        PeerHost peer = null;
        try {
            checkFree(side, "-4", HOST_SIDE_ADDRESS + "/24");
            if (ipv6) {
                checkFree(side, "-6", HOST_SIDE_ADDRESS6 + "/64");
            }
            peer = new PeerHost(side, TestNamespace.create("jslirp-peer-"));
            peer.link(ipv6);
            peer.startServers(blobSeed, blobSize);
            return peer;
        } catch (IOException | RuntimeException e) {
            if (peer != null) {
                peer.close();
            }
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (peer != null) {
                peer.close();
            }
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Fails if an address of {@code prefix} is on an interface of {@code side} already. */
    private static void checkFree(HostSide side, String family, String prefix) throws IOException, InterruptedException {
        TestNamespace.Result taken = TestNamespace.host(COMMAND_TIMEOUT, side.ip(family, "-o", "addr", "show", "to",
                prefix));
        if (!taken.output().isBlank()) {
            throw new IllegalStateException(prefix + " is in use in " + side + " (another test run's peer host?): "
                    + taken.output());
        }
    }

    private void link(boolean ipv6) throws IOException, InterruptedException {
        String peerVeth = "jpp" + hostVeth.substring(3);
        host("ip", "link", "add", hostVeth, "type", "veth", "peer", "name", peerVeth, "netns", ns.name());
        if (side.netnsName() != null) {
            host("ip", "link", "set", hostVeth, "netns", side.netnsName());
        }
        host(side.ip("addr", "add", HOST_SIDE_ADDRESS + "/24", "dev", hostVeth));
        host(side.ip("link", "set", hostVeth, "up"));
        ns.exec(COMMAND_TIMEOUT, "ip", "link", "set", "lo", "up").ok("lo up");
        ns.exec(COMMAND_TIMEOUT, "ip", "addr", "add", ADDRESS + "/24", "dev", peerVeth).ok("peer address");
        if (ipv6) {
            // nodad: usable at once; nothing else is on this link to collide with.
            host(side.ip("addr", "add", HOST_SIDE_ADDRESS6 + "/64", "dev", hostVeth, "nodad"));
            ns.exec(COMMAND_TIMEOUT, "ip", "addr", "add", ADDRESS6 + "/64", "dev", peerVeth, "nodad")
                    .ok("peer IPv6 address");
        }
        ns.exec(COMMAND_TIMEOUT, "ip", "link", "set", peerVeth, "up").ok("peer link up");
    }

    private void startServers(long blobSeed, int blobSize) throws IOException {
        servers = ns.start(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                PeerHost.class.getName(), Long.toString(blobSeed), Integer.toString(blobSize));
        String ready = ProcessOutput.follow(servers, "peer-host-output").awaitLine(READY, START_TIMEOUT);
        blobSha256 = ready.substring(ready.indexOf(READY) + READY.length()).strip();
    }

    private static void host(String... cmd) throws IOException, InterruptedException {
        TestNamespace.host(COMMAND_TIMEOUT, cmd).ok(String.join(" ", cmd));
    }

    /** The SHA-256 of the peer's {@code /blob}. */
    public String blobSha256() {
        return blobSha256;
    }

    /** The namespace's name. */
    public String name() {
        return ns.name();
    }

    /** True if the namespace or the host side's end of the link still exists. */
    public boolean exists() {
        try {
            return ns.path().toFile().exists()
                    || TestNamespace.host(COMMAND_TIMEOUT, side.ip("link", "show", hostVeth)).exit() == 0;
        } catch (IOException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** Stops the servers (by their process handle), deletes the namespace and with it the link. */
    @Override
    public void close() {
        List<Exception> failures = new ArrayList<>();
        if (servers != null) {
            try {
                servers.getOutputStream().close();
                if (!servers.waitFor(10, TimeUnit.SECONDS)) {
                    servers.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (IOException e) {
                servers.destroyForcibly();
            } catch (InterruptedException e) {
                servers.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try {
            ns.close(); // the peer end goes with the namespace, and a veth's ends go together
        } catch (IOException | InterruptedException e) {
            failures.add(e);
        }
        try {
            // Only if the pair outlived the namespace (it does not): best effort, result ignored.
            TestNamespace.host(COMMAND_TIMEOUT, side.ip("link", "del", hostVeth));
        } catch (IOException | InterruptedException e) {
            failures.add(e);
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("cleaning up peer host " + ns.name(), failures.get(0));
        }
    }

    /**
     * The servers, run inside the namespace: HTTP on {@value #HTTP_PORT} serving
     * {@code Blob.random(seed, size)}, UDP echo on {@value #UDP_ECHO_PORT}, on every address.
     * Prints {@code PEER-READY SHA256} once both listen and runs until stdin ends.
     *
     * @param args blob seed, blob size
     */
    public static void main(String[] args) throws IOException {
        Blob blob = Blob.random(Long.parseLong(args[0]), Integer.parseInt(args[1]));
        ServerSocket tcp = new ServerSocket();
        tcp.bind(new InetSocketAddress(HTTP_PORT));
        try (BlobHttpServer http = BlobHttpServer.on(tcp, blob);
             UdpEchoServer echo = UdpEchoServer.on(new DatagramSocket(new InetSocketAddress(UDP_ECHO_PORT)))) {
            System.out.println(READY + " " + blob.sha256());
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the test closes our stdin
            }
        }
    }
}
