package dev.jslirp.testkit;

import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.MacAddress;
import io.netty.buffer.ByteBuf;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The guest's IP layer of both families, as a host keeps it: its addresses (the DHCP
 * lease with router and netmask; the IPv6 link-local address and the SLAAC address with
 * the advertised prefix and router), its neighbour cache, and the answers a host gives on
 * the link (ARP replies, neighbour advertisements for its addresses). It chooses the
 * source address and next hop of each packet; {@link Guest} sends and waits.
 */
final class Addressing {
    private final FrameWriter writer;
    private final IpAddress linkLocal;
    private final Map<IpAddress, Long> neighbours = new HashMap<>();
    private IpAddress ipv4;
    private IpAddress gateway;
    private int mask;
    private IpAddress ipv6;
    private IpAddress prefix6;
    private IpAddress router6;
    private NeighborDiscovery.Advertisement advertisement;

    Addressing(FrameWriter writer) {
        this.writer = writer;
        this.linkLocal = NeighborDiscovery.linkLocal(writer.mac());
    }

    /** Takes the DHCP lease's address, router and netmask (all as ints). */
    void leased(int address, int router, int netmask) {
        ipv4 = IpAddress.ipv4(address);
        gateway = IpAddress.ipv4(router);
        mask = netmask;
    }

    /**
     * Forms the SLAAC address from {@code ra}'s prefix and the guest's interface identifier
     * (RFC 4862 section 5.5.3) and takes its router as the default one, unless its router
     * lifetime is 0 (RFC 4861 section 6.3.4).
     */
    IpAddress autoconfigured(NeighborDiscovery.Advertisement ra) {
        prefix6 = ra.onLink() ? ra.prefix() : null;
        router6 = ra.routerLifetime() > 0 ? ra.router() : null;
        ipv6 = ra.prefix().withInterfaceId(NeighborDiscovery.interfaceId(writer.mac()));
        return ipv6;
    }

    /** The leased IPv4 address, or null before a lease. */
    IpAddress ipv4() {
        return ipv4;
    }

    /** The SLAAC address, or null before autoconfiguration. */
    IpAddress ipv6() {
        return ipv6;
    }

    IpAddress linkLocal() {
        return linkLocal;
    }

    /** The last router advertisement taken, or null. */
    NeighborDiscovery.Advertisement advertisement() {
        return advertisement;
    }

    void forgetAdvertisement() {
        advertisement = null;
    }

    /** True if {@code ip} (text, as frames carry it) is one of the guest's addresses. */
    boolean isMine(String ip) {
        IpAddress a = IpAddress.parse(ip);
        return a.equals(ipv4) || a.equals(ipv6) || a.equals(linkLocal);
    }

    /** The guest's address to send to {@code dst} from (the link-local one to a link-local address). */
    IpAddress source(IpAddress dst) {
        return dst.isIpv4() ? ipv4 : dst.isLinkLocal() ? linkLocal : ipv6;
    }

    /**
     * The neighbour a packet to {@code dst} goes to: {@code dst} itself on the link (the
     * leased subnet; IPv6 link-local and the on-link prefix), the router otherwise.
     *
     * @throws GuestException if the destination is off the link and there is no router
     */
    IpAddress nextHop(IpAddress dst) {
        if (dst.isIpv4()) {
            return mask != 0 && (dst.ipv4() & mask) == (ipv4.ipv4() & mask) ? dst : gateway;
        }
        if (dst.isLinkLocal() || (prefix6 != null && dst.inPrefix(prefix6, NeighborDiscovery.SLAAC_PREFIX_LENGTH))) {
            return dst;
        }
        if (router6 == null) {
            throw new GuestException(dst + " is off the link and the network advertised no IPv6 default router "
                    + "(router lifetime 0, as under restrict=on)");
        }
        return router6;
    }

    /** The MAC of neighbour {@code hop} if known, else null. */
    Long neighbour(IpAddress hop) {
        return neighbours.get(hop);
    }

    /** The question that resolves {@code hop}: an ARP request, or a neighbour solicitation. */
    ByteBuf resolve(IpAddress hop) {
        return hop.isIpv4()
                ? writer.arp(ArpPacket.OP_REQUEST, MacAddress.BROADCAST, ipv4.ipv4(), 0, hop.ipv4())
                : writer.neighborSolicitation(source(hop), hop);
    }

    /**
     * Takes ARP and neighbour discovery from the network, learning neighbours from them and
     * answering questions for the guest's addresses through {@code send}.
     *
     * @return true if {@code f} was for this layer (left for no one else)
     */
    boolean take(Frame f, Consumer<ByteBuf> send) {
        if (f.packet() instanceof Frame.Arp arp) {
            IpAddress sender = IpAddress.parse(arp.senderIp());
            long senderMac = MacAddress.parse(arp.senderMac());
            neighbours.put(sender, senderMac);
            if (arp.operation() == ArpPacket.OP_REQUEST && ipv4 != null
                    && IpAddress.parse(arp.targetIp()).equals(ipv4)) {
                send.accept(writer.arp(ArpPacket.OP_REPLY, senderMac, ipv4.ipv4(), senderMac, sender.ipv4()));
            }
            return true;
        }
        if (f.packet() instanceof Frame.Icmp icmp && icmp.ipv6()) {
            return takeNdp(f, icmp, send);
        }
        return false;
    }

    private boolean takeNdp(Frame f, Frame.Icmp m, Consumer<ByteBuf> send) {
        if (m.type() == NeighborDiscovery.ROUTER_ADVERTISEMENT) {
            NeighborDiscovery.Advertisement ra = NeighborDiscovery.read(m);
            if (ra != null) {
                advertisement = ra;
                if (ra.routerMac() >= 0) {
                    neighbours.put(ra.router(), ra.routerMac());
                }
            }
            return true;
        }
        IpAddress target = NeighborDiscovery.target(m);
        if (target == null) {
            return false;
        }
        long option = NeighborDiscovery.linkLayer(m);
        long mac = option >= 0 ? option : MacAddress.parse(f.sourceMac());
        if (m.type() == NeighborDiscovery.NEIGHBOR_ADVERTISEMENT) {
            neighbours.put(target, mac);
            return true;
        }
        if (!target.equals(linkLocal) && !target.equals(ipv6)) {
            return false;      // a solicitation for an address the guest does not have: the test may look
        }
        IpAddress asker = IpAddress.parse(m.source());
        if (asker.isUnspecified()) {
            // A duplicate address detection probe: answered to all nodes (RFC 4861 section 7.2.4).
            send.accept(writer.neighborAdvertisement(FrameWriter.multicastMac(FrameWriter.ALL_NODES), target,
                    FrameWriter.ALL_NODES, false));
        } else {
            neighbours.put(asker, mac);
            send.accept(writer.neighborAdvertisement(mac, target, asker, true));
        }
        return true;
    }
}
