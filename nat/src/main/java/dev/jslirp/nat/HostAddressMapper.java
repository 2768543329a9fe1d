package dev.jslirp.nat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.wire.IpAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Decides where a guest's connection or datagram to {@code dst:port} goes on the host,
 * the one place the NAT's address rules live (DESIGN.md, "Address mapping"):
 * <ul>
 *   <li>the gateway address reaches the host's loopback of the same family
 *       (10.0.2.2 is 127.0.0.1, fec0::2 is ::1), unless {@code restrict=on} or host
 *       loopback is switched off;</li>
 *   <li>the DNS address reaches what a service registered for it (DNS over TCP), and
 *       nothing else;</li>
 *   <li>any other address of the virtual network, loopback, multicast and broadcast
 *       addresses go nowhere;</li>
 *   <li>with {@code restrict=on}, for the network or the guest's port, nothing goes out
 *       (only port forwards and the network's own services work);</li>
 *   <li>every other destination is connected for real.</li>
 * </ul>
 */
public final class HostAddressMapper {
    private final GuestContext context;
    private final NetworkConfig config;

    /** Rules for the network of {@code context}. */
    public HostAddressMapper(GuestContext context) {
        this.context = context;
        this.config = context.config();
    }

    /**
     * The host address for a guest flow to {@code dst:port}, or null if the flow is refused.
     *
     * @param protocol   {@link GuestPacket#PROTO_TCP} or {@link GuestPacket#PROTO_UDP}
     * @param restricted the guest's port has {@code restrict=on}
     */
    public InetSocketAddress hostTarget(int protocol, IpAddress dst, int port, boolean restricted) {
        long hi = dst.hi();
        long lo = dst.lo();
        if (restricted && !config.isDns(hi, lo)) {
            return null;
        }
        if (config.isHost(hi, lo)) {
            if (!config.hostLoopback()) {
                return null;
            }
            return new InetSocketAddress((dst.isIpv4() ? IpAddress.V4_LOOPBACK : IpAddress.V6_LOOPBACK).toInetAddress(),
                    port);
        }
        if (config.isDns(hi, lo)) {
            return protocol == GuestPacket.PROTO_TCP ? context.tcpEndpoint(dst, port) : null;
        }
        if (config.restrict() || config.isOwnAddress(hi, lo) || config.inNetwork(hi, lo) || !routable(dst)) {
            return null;
        }
        return new InetSocketAddress(dst.toInetAddress(), port);
    }

    /**
     * False for what no host socket should be pointed at: unspecified, loopback,
     * multicast and broadcast addresses, IPv4 "this network" (0/8) and reserved (240/4),
     * IPv6 link-local (it names no interface of the host) and IPv4-mapped forms.
     */
    private static boolean routable(IpAddress dst) {
        if (dst.isUnspecified() || dst.isLoopback() || dst.isMulticast()) {
            return false;
        }
        if (dst.isIpv4()) {
            int a = dst.ipv4();
            return a != Ipv4Address.BROADCAST && (a >>> 24) != 0 && (a >>> 28) != 0xf;
        }
        return !dst.isLinkLocal();
    }

    /**
     * The guest-side address a reply from {@code host} appears to come from: the
     * gateway of its family for the host's loopback, the address itself otherwise.
     */
    public IpAddress guestSideAddress(InetAddress host) {
        IpAddress a = IpAddress.of(host);
        return a.isLoopback() ? config.hostAddress(a.isIpv6()) : a;
    }
}
