package dev.jslirp.bench;

import dev.jslirp.dns.DnsConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A UDP socket on 127.0.0.1 that never answers, configured as the DNS service's only
 * upstream: the service then never reads the host's resolv.conf, and whatever it might
 * forward stays on the loopback (the project's network rule). The benchmarks check
 * that nothing was forwarded.
 */
final class SilentDnsUpstream implements AutoCloseable {
    private final DatagramSocket socket;

    SilentDnsUpstream() {
        try {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A DNS configuration with this socket as the one upstream. */
    DnsConfig config() {
        return DnsConfig.builder()
                .addUpstream(new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort()))
                .build();
    }

    @Override
    public void close() {
        socket.close();
    }
}
