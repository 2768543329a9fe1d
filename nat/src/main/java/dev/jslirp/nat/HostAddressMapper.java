package dev.jslirp.nat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Decides where a guest's connection or datagram to {@code dst:port} goes on the host,
 * the one place the NAT's address rules live (DESIGN.md, "Address mapping"):
 * <ul>
 *   <li>the gateway address reaches the host's loopback, 127.0.0.1, unless
 *       {@code restrict=on} or host loopback is switched off;</li>
 *   <li>the DNS address reaches what a service registered for it (DNS over TCP), and
 *       nothing else;</li>
 *   <li>any other address of the virtual network, loopback, multicast and broadcast
 *       addresses go nowhere;</li>
 *   <li>with {@code restrict=on} nothing goes out (only port forwards work);</li>
 *   <li>every other destination is connected for real.</li>
 * </ul>
 */
public final class HostAddressMapper {
    private static final InetAddress LOOPBACK = Ipv4Address.toInetAddress(Ipv4Address.parse("127.0.0.1"));

    private final GuestContext context;
    private final NetworkConfig config;

    /** Rules for the network of {@code context}. */
    public HostAddressMapper(GuestContext context) {
        this.context = context;
        this.config = context.config();
    }

    /**
     * The host address for a guest flow, or null if the flow is refused.
     *
     * @param protocol {@link Ipv4Packet#PROTO_TCP} or {@link Ipv4Packet#PROTO_UDP}
     */
    public InetSocketAddress hostTarget(int protocol, int dst, int port) {
        if (dst == config.host()) {
            return config.hostLoopback() ? new InetSocketAddress(LOOPBACK, port) : null;
        }
        if (dst == config.dns()) {
            return protocol == Ipv4Packet.PROTO_TCP ? context.tcpEndpoint(dst, port) : null;
        }
        if (config.restrict() || config.inNetwork(dst) || Ipv4Address.isLoopback(dst)
                || Ipv4Address.isMulticast(dst) || dst == Ipv4Address.BROADCAST || dst == Ipv4Address.ANY
                || (dst >>> 24) == 0 || (dst >>> 28) == 0xf) {
            return null;
        }
        return new InetSocketAddress(Ipv4Address.toInetAddress(dst), port);
    }

    /**
     * The guest-side address a reply from {@code host} appears to come from: the
     * gateway for the host's loopback, the address itself otherwise.
     */
    public int guestSideAddress(InetAddress host) {
        int a = Ipv4Address.fromInetAddress(host);
        return Ipv4Address.isLoopback(a) ? config.host() : a;
    }
}
