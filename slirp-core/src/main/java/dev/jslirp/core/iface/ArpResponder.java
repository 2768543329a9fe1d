package dev.jslirp.core.iface;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import io.netty.buffer.ByteBuf;

/**
 * ARP (RFC 826) for the network's own addresses: answers requests for the gateway and
 * the DNS address with their 52:55 MACs, learns the guest's addresses from every ARP
 * packet it sends (requests, replies, gratuitous announcements), and builds the
 * requests the network sends to resolve a guest address. Probes
 * (sender 0.0.0.0, RFC 5227) are neither learned nor answered unless they ask for an
 * address the network owns.
 */
final class ArpResponder {
    private final GuestNetwork network;
    private final NetworkConfig config;
    private final NetworkStats stats;
    private final ArpPacket arp = new ArpPacket();

    ArpResponder(GuestNetwork network) {
        this.network = network;
        this.config = network.config();
        this.stats = network.stats();
    }

    void handle(EthernetFrame eth, long now) {
        ByteBuf buf = eth.buffer();
        if (!arp.wrap(buf, eth.payloadOffset(), eth.payloadOffset() + eth.payloadLength())) {
            stats.drops().increment(DropReason.ARP_MALFORMED);
            return;
        }
        int senderIp = arp.senderIp();
        long senderMac = arp.senderMac();
        if (senderIp != Ipv4Address.ANY && !MacAddress.isMulticast(senderMac) && !config.isOwnAddress(senderIp)) {
            network.learnNeighbor(0, IpAddress.ipv4Lo(senderIp), senderMac, now);
        }
        int op = arp.operation();
        if (op == ArpPacket.OP_REPLY) {
            stats.traffic().increment(NetworkStats.Traffic.ARP_ACCEPTED);
            return;
        }
        if (op != ArpPacket.OP_REQUEST) {
            stats.drops().increment(DropReason.ARP_MALFORMED);
            return;
        }
        int target = arp.targetIp();
        if (!config.isOwnAddress(target)) {
            if (senderIp == target || senderIp == 0 || network.isShared()) {
                // a guest's own announcement or address probe (RFC 5227), or a question for
                // another guest on the LAN, which the switch carries to it: not a drop
                stats.traffic().increment(NetworkStats.Traffic.ARP_ACCEPTED);
            } else {
                stats.drops().increment(DropReason.ARP_NOT_FOR_US);
            }
            return;
        }
        stats.traffic().increment(NetworkStats.Traffic.ARP_ACCEPTED);
        ByteBuf reply = network.alloc().directBuffer(FrameSink.HEADROOM + EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH);
        int e = FrameSink.HEADROOM;
        long ourMac = config.macOf(target);
        // A probe's sender is 0.0.0.0: the reply goes to the sender's MAC anyway.
        EthernetFrame.write(reply, e, senderMac, ourMac, EthernetFrame.TYPE_ARP);
        ArpPacket.write(reply, e + EthernetFrame.HEADER_LENGTH, ArpPacket.OP_REPLY, ourMac, target, senderMac, senderIp);
        reply.setIndex(e, e + EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH);
        stats.traffic().increment(NetworkStats.Traffic.ARP_REPLIES);
        network.sendFrame(reply);
    }

    /** Sends a broadcast request for {@code ip}, from the gateway. */
    void request(int ip) {
        ByteBuf req = network.alloc().directBuffer(FrameSink.HEADROOM + EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH);
        int e = FrameSink.HEADROOM;
        long ourMac = config.gatewayMac();
        EthernetFrame.write(req, e, MacAddress.BROADCAST, ourMac, EthernetFrame.TYPE_ARP);
        ArpPacket.write(req, e + EthernetFrame.HEADER_LENGTH, ArpPacket.OP_REQUEST, ourMac, config.host(), MacAddress.ZERO, ip);
        req.setIndex(e, e + EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH);
        stats.traffic().increment(NetworkStats.Traffic.ARP_REQUESTS);
        network.sendFrame(req);
    }
}
