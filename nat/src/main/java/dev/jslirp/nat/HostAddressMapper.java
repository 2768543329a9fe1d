package dev.jslirp.nat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.nat.guestfwd.GuestForwards;
import dev.jslirp.nat.guestfwd.GuestfwdCounter;
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
 *   <li>a guest forward's server address and port ({@code guestfwd=}, {@code smb=})
 *       reaches the forward's target, also under {@code restrict=on}, as in libslirp;
 *       its other ports go nowhere;</li>
 *   <li>any other address of the virtual network, loopback, multicast and broadcast
 *       addresses go nowhere;</li>
 *   <li>with {@code restrict=on}, for the network or the guest's port, nothing goes out
 *       (only port forwards and the network's own services work);</li>
 *   <li>every other destination is connected for real.</li>
 * </ul>
 * And the other way, where a port forward's host client appears to come from in the
 * guest ({@link #forwardSource}).
 */
public final class HostAddressMapper {
    private final GuestContext context;
    private final NetworkConfig config;
    private final NatConfig.ForwardSource forwardSource;
    private final GuestForwards guestForwards;
    private final Counters<GuestfwdCounter> guestfwdCounters;

    /** Rules for the network of {@code context}, forwarded clients from their own address, no guest forwards. */
    public HostAddressMapper(GuestContext context) {
        this(context, NatConfig.ForwardSource.CLIENT, GuestForwards.none());
    }

    /**
     * Rules for the network of {@code context}; {@code forwardSource} as
     * {@link NatConfig#forwardSource()}, with the network's {@code guestForwards}.
     */
    public HostAddressMapper(GuestContext context, NatConfig.ForwardSource forwardSource, GuestForwards guestForwards) {
        this.context = context;
        this.config = context.config();
        this.forwardSource = forwardSource;
        this.guestForwards = guestForwards;
        this.guestfwdCounters = guestForwards.rules().isEmpty() ? null
                : context.stats().service("nat.guestfwd", GuestfwdCounter.class);
    }

    /**
     * Where a guest's TCP connection to {@code dst:port} continues on the host: a guest
     * forward's target (under {@code restrict=on} too, as in QEMU), or the address
     * {@link #hostTarget} gives; null if refused.
     *
     * @param restricted the guest's port has {@code restrict=on}
     */
    public HostTarget tcpTarget(IpAddress dst, int port, boolean restricted) {
        HostTarget forwarded = guestForwards.target(dst.hi(), dst.lo(), port);
        if (forwarded != null) {
            guestfwdCounters.increment(GuestfwdCounter.CONNECTS);
            return forwarded;
        }
        InetSocketAddress a = hostTarget(GuestPacket.PROTO_TCP, dst, port, restricted);
        return a == null ? null : new HostTarget.Inet(a);
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
     * The address a port forward's host {@code client} appears to come from to a guest
     * address of the family {@code toIpv6}: the client's own, as libslirp shows it
     * ({@code sotranslate_accept}), or null for the gateway of that family. The gateway
     * stands in for clients the guest could not answer at their own address:
     * <ul>
     *   <li>loopback (and unspecified) clients, as in libslirp: they are the host itself;</li>
     *   <li>a client of the other family (an IPv6 client of a forward to an IPv4 guest
     *       address; an IPv4-mapped address counts as IPv4);</li>
     *   <li>addresses no reply can be routed to (multicast, broadcast, IPv6 link-local,
     *       reserved) and addresses of the virtual network itself (the guest would look
     *       for them on its own link), where libslirp passes them on;</li>
     *   <li>every client under {@code restrict=on} (the guest is given no route; libslirp
     *       passes the address on, and the guest cannot answer) or with
     *       {@code hostfwd-source=gateway}.</li>
     * </ul>
     * A caller that finds the client's address and port already used by another flow to
     * the same guest endpoint falls back to the gateway too.
     */
    public IpAddress forwardSource(InetSocketAddress client, boolean toIpv6) {
        if (forwardSource != NatConfig.ForwardSource.CLIENT || config.restrict() || client == null
                || client.getAddress() == null) {
            return null;
        }
        IpAddress a = IpAddress.of(client.getAddress());
        if (a.isIpv6() != toIpv6 || !routable(a) || config.inNetwork(a.hi(), a.lo())
                || config.isOwnAddress(a.hi(), a.lo())) {
            return null;
        }
        return a;
    }

    /**
     * The guest-side address a reply from {@code host} appears to come from: the
     * gateway of its family for the host's loopback, the address itself otherwise.
     */
    public IpAddress guestSideAddress(InetAddress host) {
        IpAddress a = IpAddress.of(host);
        return a.isLoopback() ? config.hostAddress(a.isIpv6()) : a;
    }

    /**
     * The source a packet from host address {@code host} shows the guest ({@link #guestSideAddress}),
     * or null if the guest must not see it: of the other family than {@code ipv6}, or an address
     * of the virtual network that is not the gateway (the host's own network overlaps it).
     */
    public IpAddress guestSideSource(InetAddress host, boolean ipv6) {
        IpAddress a = guestSideAddress(host);
        if (a.isIpv6() != ipv6 || (config.inNetwork(a.hi(), a.lo()) && !config.isHost(a.hi(), a.lo()))
                || config.isDns(a.hi(), a.lo())) {
            return null;
        }
        return a;
    }
}
