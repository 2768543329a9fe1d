package dev.jslirp.bench.soak;

import dev.jslirp.control.ControlClient;
import dev.jslirp.control.ControlReply;
import dev.jslirp.transport.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Port forwards changed at run time over jslirp's control socket, as QEMU's monitor
 * changes them: each {@link #cycle} adds a forward on a port the system picks
 * ({@code hostfwd_add tcp:127.0.0.1:0-:7000}), uses it once and removes it, taking TCP
 * and UDP, IPv4 and IPv6 in turn. A forward whose listener or mappings jslirp did not
 * release would show in its open descriptors.
 */
final class ForwardChurn implements AutoCloseable {
    private static final Pattern BOUND = Pattern.compile("listening on (.*):(\\d+)");
    /** Tries of the UDP echo through a new forward (a datagram may be lost; a forward that does not work, each time). */
    private static final int UDP_TRIES = 3;

    private final ControlClient control;
    private final String guest6;
    private final int tcpPort;
    private final int udpPort;
    private final Tally tally;
    private long cycles;

    ForwardChurn(Path controlSocket, InetAddress guest6, int tcpPort, int udpPort, Tally tally) throws IOException {
        this.control = ControlClient.connect(new Endpoint.Unix(controlSocket), Duration.ofSeconds(30));
        this.guest6 = guest6.getHostAddress();
        this.tcpPort = tcpPort;
        this.udpPort = udpPort;
        this.tally = tally;
    }

    /**
     * {@code hostfwd_add RULE}; returns the port it listens on.
     *
     * @throws IOException with jslirp's reply if it refused
     */
    int add(String rule) throws IOException {
        ControlReply r = control.send("hostfwd_add " + rule);
        Matcher m = BOUND.matcher(r.text());
        if (!r.isOk() || !m.find()) {
            throw new IOException("hostfwd_add " + rule + ": " + r.text().trim());
        }
        return Integer.parseInt(m.group(2));
    }

    /** {@code hostfwd_remove HOSTEND}, which must succeed. */
    void remove(String hostEnd) throws IOException {
        ControlReply r = control.send("hostfwd_remove " + hostEnd);
        if (!r.isOk()) {
            throw new IOException("hostfwd_remove " + hostEnd + ": " + r.text().trim());
        }
    }

    /** Adds a forward, uses it, removes it: TCP/IPv4, TCP/IPv6, UDP/IPv4, UDP/IPv6 in turn. */
    void cycle() throws IOException {
        long n = cycles++;
        boolean udp = n % 4 >= 2;
        boolean v6 = n % 2 == 1;
        String proto = udp ? "udp" : "tcp";
        String host = v6 ? "[::1]" : "127.0.0.1";
        String guest = v6 ? "[" + guest6 + "]" : "";
        int port = add(proto + ":" + host + ":0-" + guest + ":" + (udp ? udpPort : tcpPort));
        InetSocketAddress to = new InetSocketAddress(Soak.address(v6 ? "::1" : "127.0.0.1"), port);
        try {
            if (udp) {
                boolean echoed = false;
                try (UdpTraffic.Client c = new UdpTraffic.Client(to)) {
                    for (int i = 0; i < UDP_TRIES && !echoed; i++) {
                        echoed = c.echo();
                    }
                }
                if (!echoed) {
                    throw new IOException("no UDP echo through the new forward " + to + " in " + UDP_TRIES + " tries");
                }
            } else {
                TcpTraffic.echo(to, 64, n);
            }
        } finally {
            remove(proto + ":" + host + ":" + port);
        }
        tally.add("forward.cycles", 1);
    }

    @Override
    public void close() throws IOException {
        control.close();
    }
}
