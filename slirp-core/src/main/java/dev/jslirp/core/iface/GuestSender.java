package dev.jslirp.core.iface;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.FrameTap;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.IcmpError;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.concurrent.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The way from the network to the guest, for both families: completes what services
 * send ({@link GuestContext#send}) with the transport checksum, the IPv4 or IPv6
 * header and the Ethernet header; fragments datagrams larger than the MTU (RFC 791
 * section 3.2; RFC 8200 section 4.5, as the source of the translated datagram);
 * resolves the guest's MAC (from the {@link NeighborTable}, else holding the frame in
 * {@link PendingFrames} while ARP or neighbour discovery asks); writes ICMP and ICMPv6
 * errors (RFC 1122 3.2.2, RFC 4443 2.4 rules); and hands frames to the
 * {@link EthernetSwitch}, which delivers them to the port of their destination MAC.
 *
 * <h2>Checksums</h2>
 * <p>{@link #writeTransportChecksum} is the one place that decides the checksum form of
 * everything the network sends: TCP complete, or only its pseudo-header sum when the
 * transport has the guest complete it ({@link FrameSink#completesTcpChecksums()}); UDP
 * complete (a zero result sent as 0xffff); ICMP without, ICMPv6 with the pseudo-header.
 *
 * <p>Frames are not flushed one by one: the switch flushes each port that got frames
 * once per event-loop turn, after the loop's I/O, so a burst of frames caused by one
 * read costs one flush.
 *
 * <p>Confined to the network's event loop.
 */
final class GuestSender {
    private static final Logger LOG = LoggerFactory.getLogger(GuestSender.class);
    /** ICMP errors quote at most this much of the offending datagram (RFC 1812 4.3.2.3: 576 in all). */
    private static final int ICMP_ERROR_MAX_QUOTE = 576 - Ipv4Packet.MIN_HEADER_LENGTH - IcmpPacket.HEADER_LENGTH;
    /** ICMPv6 errors fit the IPv6 minimum MTU (RFC 4443 section 2.4 (c)): 1280 in all. */
    private static final int ICMPV6_ERROR_MAX_QUOTE = 1280 - Ipv6Packet.HEADER_LENGTH - IcmpPacket.HEADER_LENGTH;
    /** Where the transport header starts in a {@link GuestContext#newFrame} buffer, from its reader index. */
    private static final int L4 = GuestContext.FRAME_OVERHEAD;

    private final NetworkConfig config;
    private final ByteBufAllocator alloc;
    private final Ticker ticker;
    private final NetworkStats stats;
    private final NeighborTable neighbors;
    private final PendingFrames pending;
    private final Runnable housekeeping;
    private final EthernetSwitch sw;
    private final long gatewayMac;
    private ArpResponder arp;
    private NeighborSolicitor ndp;
    private FrameTap tap;
    private int nextIpId;
    private int nextFragmentId;

    /**
     * @param housekeeping asks the network for its periodic timer (pending frames expire)
     */
    GuestSender(NetworkConfig config, EthernetSwitch sw, ByteBufAllocator alloc, Ticker ticker, NetworkStats stats,
                NeighborTable neighbors, PendingFrames pending, Runnable housekeeping) {
        this.config = config;
        this.sw = sw;
        this.alloc = alloc;
        this.ticker = ticker;
        this.stats = stats;
        this.neighbors = neighbors;
        this.pending = pending;
        this.housekeeping = housekeeping;
        this.gatewayMac = config.gatewayMac();
        this.nextIpId = (int) (System.nanoTime() & 0xffff);
        this.nextFragmentId = (int) System.nanoTime();
    }

    /** What asks for unknown guest MACs: ARP for IPv4, neighbour discovery for IPv6 (they need each other). */
    void resolvers(ArpResponder arpResponder, NeighborSolicitor solicitor) {
        this.arp = arpResponder;
        this.ndp = solicitor;
    }

    /** The frame tap, or null. */
    void tap(FrameTap t) {
        this.tap = t;
    }

    FrameTap tap() {
        return tap;
    }

    /** Shows a frame from the guest to the tap; a tap that fails is removed. */
    void tapFromGuest(ByteBuf frame, long now) {
        try {
            tap.fromGuest(frame, now);
        } catch (RuntimeException e) {
            tapFailed(e);
        }
    }

    private void tapFailed(RuntimeException e) {
        LOG.warn("frame tap {} failed; removed", tap, e);
        tap = null;
    }

    NetworkStats stats() {
        return stats;
    }

    ByteBuf newFrame(int transportLength) {
        ByteBuf buf = alloc.directBuffer(FrameSink.HEADROOM + L4 + transportLength);
        buf.setIndex(FrameSink.HEADROOM, FrameSink.HEADROOM + L4);
        return buf;
    }

    // ---------------------------------------------------------------- send

    void send(ByteBuf frame, IpAddress src, IpAddress dst, int protocol, int options) {
        int l4Off = frame.readerIndex() + L4;
        int l4Len = frame.writerIndex() - l4Off;
        writeTransportChecksum(frame, l4Off, l4Len, null, protocol, src, dst);
        sendIp(frame, l4Off, l4Len, src, dst, protocol, options);
    }

    void send(ByteBuf headers, ByteBuf payload, IpAddress src, IpAddress dst, int protocol, int options) {
        int l4Off = headers.readerIndex() + L4;
        int hdrLen = headers.writerIndex() - l4Off;
        writeTransportChecksum(headers, l4Off, hdrLen, payload, protocol, src, dst);
        // The IP header and Ethernet go into the headers' buffer; the payload follows
        // uncopied in a composite that keeps the headers' headroom for the transport.
        int payloadLen = payload.readableBytes();
        int ethOff = writeIpHeader(headers, l4Off, hdrLen + payloadLen, src, dst, protocol, options);
        if (ethOff < 0) {
            headers.release();
            payload.release();
            return;
        }
        headers.readerIndex(0);
        CompositeByteBuf whole = alloc.compositeDirectBuffer(2);
        whole.addComponents(true, headers, payload);
        whole.readerIndex(ethOff);
        deliver(whole, dst);
    }

    /**
     * The one place a transport checksum's form is decided (see the class comment): the
     * {@code length} bytes at {@code off}, followed by {@code payload}'s readable bytes
     * if it is not null.
     */
    private void writeTransportChecksum(ByteBuf frame, int off, int length, ByteBuf payload, int protocol,
                                        IpAddress src, IpAddress dst) {
        int total = length + (payload == null ? 0 : payload.readableBytes());
        int field;
        long sum;
        switch (protocol) {
            case GuestPacket.PROTO_TCP:
                field = TcpPacket.CHECKSUM;
                sum = Checksums.pseudoHeader(src, dst, protocol, total);
                if (sw.completesTcpChecksums()) {
                    frame.setShort(off + field, Checksums.fold(sum));
                    return;
                }
                break;
            case GuestPacket.PROTO_UDP:
                field = UdpPacket.CHECKSUM;
                sum = Checksums.pseudoHeader(src, dst, protocol, total);
                break;
            case GuestPacket.PROTO_ICMP:
                field = IcmpPacket.CHECKSUM;
                sum = 0;
                break;
            case GuestPacket.PROTO_ICMPV6:
                field = IcmpPacket.CHECKSUM;
                sum = Checksums.pseudoHeader(src, dst, protocol, total);
                break;
            default:
                return;
        }
        frame.setShort(off + field, 0);
        sum = Checksums.add(sum, frame, off, length);
        if (payload != null) {
            sum = Checksums.add(sum, payload, payload.readerIndex(), payload.readableBytes());
        }
        int c = ~Checksums.fold(sum) & 0xffff;
        frame.setShort(off + field, c == 0 && protocol == GuestPacket.PROTO_UDP ? 0xffff : c);
    }

    private void sendIp(ByteBuf frame, int l4Off, int l4Len, IpAddress src, IpAddress dst, int protocol, int options) {
        int ipHeader = dst.isIpv4() ? Ipv4Packet.MIN_HEADER_LENGTH : Ipv6Packet.HEADER_LENGTH;
        if (ipHeader + l4Len > config.mtu() && (options & GuestContext.DONT_FRAGMENT) == 0) {
            if (dst.isIpv4()) {
                fragmentIpv4(frame, l4Off, l4Len, src.ipv4(), dst.ipv4(), protocol, options >>> 8);
            } else {
                fragmentIpv6(frame, l4Off, l4Len, src, dst, protocol, options >>> 8);
            }
            return;
        }
        int ethOff = writeIpHeader(frame, l4Off, l4Len, src, dst, protocol, options);
        if (ethOff < 0) {
            frame.release();
            return;
        }
        frame.readerIndex(ethOff);
        deliver(frame, dst);
    }

    /**
     * Writes the IP header in front of the transport header at {@code l4Off}. An IPv4
     * datagram goes out whatever its size (senders keep within the MTU: TCP by its MSS,
     * or by the port's {@link FrameSink#maxTcpSegment()}, whose transport segments);
     * an IPv6 one above the MTU is refused, since nothing on the link could take it,
     * unless it is TCP, sized by the flow the same way (the sink is the last judge).
     *
     * @return where the Ethernet header goes, or -1 if the datagram cannot be sent
     *         (counted)
     */
    private int writeIpHeader(ByteBuf frame, int l4Off, int l4Len, IpAddress src, IpAddress dst, int protocol,
                              int options) {
        boolean df = (options & GuestContext.DONT_FRAGMENT) != 0;
        int tc = options >>> 8;
        if (dst.isIpv4()) {
            int total = Ipv4Packet.MIN_HEADER_LENGTH + l4Len;
            int ipOff = l4Off - Ipv4Packet.MIN_HEADER_LENGTH;
            Ipv4Packet.write(frame, ipOff, tc, total, nextIpId(), df ? Ipv4Packet.FLAG_DF : 0, Ipv4Packet.DEFAULT_TTL,
                    protocol, src.ipv4(), dst.ipv4());
            return ipOff - EthernetFrame.HEADER_LENGTH;
        }
        if (Ipv6Packet.HEADER_LENGTH + l4Len > config.mtu()
                && (protocol != GuestPacket.PROTO_TCP || l4Len > 0xffff)) {     // the payload length field
            stats.drops().increment(DropReason.OUTBOUND_TOO_LARGE);
            return -1;
        }
        int ipOff = l4Off - Ipv6Packet.HEADER_LENGTH;
        Ipv6Packet.write(frame, ipOff, tc, l4Len, protocol, hopLimitFor(protocol), src.hi(), src.lo(), dst.hi(),
                dst.lo());
        return ipOff - EthernetFrame.HEADER_LENGTH;
    }

    /** RFC 4861 requires 255 on neighbour discovery; everything else gets the default. */
    private static int hopLimitFor(int protocol) {
        return protocol == GuestPacket.PROTO_ICMPV6 ? 255 : Ipv6Packet.DEFAULT_HOP_LIMIT;
    }

    /** Splits a too-large IPv4 datagram on 8-byte boundaries (RFC 791 section 3.2) and sends the pieces. */
    private void fragmentIpv4(ByteBuf whole, int l4Off, int l4Len, int src, int dst, int protocol, int tos) {
        try {
            int chunk = ((config.mtu() - Ipv4Packet.MIN_HEADER_LENGTH) / 8) * 8;
            int id = nextIpId();
            IpAddress to = IpAddress.ipv4(dst);
            stats.traffic().increment(NetworkStats.Traffic.FRAGMENTED);
            for (int off = 0; off < l4Len; off += chunk) {
                int len = Math.min(chunk, l4Len - off);
                boolean more = off + len < l4Len;
                ByteBuf piece = newFrame(len);
                int pieceL4 = piece.writerIndex();
                piece.writeBytes(whole, l4Off + off, len);
                int ipOff = pieceL4 - Ipv4Packet.MIN_HEADER_LENGTH;
                Ipv4Packet.write(piece, ipOff, tos, Ipv4Packet.MIN_HEADER_LENGTH + len, id,
                        (more ? Ipv4Packet.FLAG_MF : 0) | (off / 8), Ipv4Packet.DEFAULT_TTL, protocol, src, dst);
                piece.readerIndex(ipOff - EthernetFrame.HEADER_LENGTH);
                deliver(piece, to);
            }
        } finally {
            whole.release();
        }
    }

    /**
     * Splits a too-large IPv6 datagram with fragment headers (RFC 8200 section 4.5): the
     * network is the source of what it translates, so it may fragment; pieces are
     * multiples of 8 bytes but the last.
     */
    private void fragmentIpv6(ByteBuf whole, int l4Off, int l4Len, IpAddress src, IpAddress dst, int protocol,
                              int tc) {
        try {
            int hdr = Ipv6Packet.HEADER_LENGTH + Ipv6Packet.FRAGMENT_HEADER_LENGTH;
            int chunk = ((config.mtu() - hdr) / 8) * 8;
            int id = nextFragmentId++;
            stats.traffic().increment(NetworkStats.Traffic.FRAGMENTED);
            for (int off = 0; off < l4Len; off += chunk) {
                int len = Math.min(chunk, l4Len - off);
                boolean more = off + len < l4Len;
                ByteBuf piece = newFrame(Ipv6Packet.FRAGMENT_HEADER_LENGTH + len);
                // [Ethernet][IPv6][fragment header][data]: the fragment header where a
                // transport header would be.
                int fragOff = piece.writerIndex();
                Ipv6Packet.writeFragmentHeader(piece, fragOff, protocol, off, more, id);
                piece.writerIndex(fragOff + Ipv6Packet.FRAGMENT_HEADER_LENGTH);
                piece.writeBytes(whole, l4Off + off, len);
                int ipOff = fragOff - Ipv6Packet.HEADER_LENGTH;
                Ipv6Packet.write(piece, ipOff, tc, Ipv6Packet.FRAGMENT_HEADER_LENGTH + len, Ipv6Packet.NH_FRAGMENT,
                        Ipv6Packet.DEFAULT_HOP_LIMIT, src.hi(), src.lo(), dst.hi(), dst.lo());
                piece.readerIndex(ipOff - EthernetFrame.HEADER_LENGTH);
                deliver(piece, dst);
            }
        } finally {
            whole.release();
        }
    }

    private void deliver(ByteBuf frame, IpAddress dst) {
        long mac = destinationMac(dst);
        if (mac == MacAddress.ZERO) {
            if (!pending.add(dst.hi(), dst.lo(), frame, ticker.nanoTime(), this)) {
                stats.drops().increment(DropReason.GUEST_MAC_UNRESOLVED);
                frame.release();
            }
            housekeeping.run();
            return;
        }
        sendResolved(frame, mac);
    }

    private long destinationMac(IpAddress dst) {
        if (dst.isIpv4()) {
            int d = dst.ipv4();
            if (d == Ipv4Address.BROADCAST || d == config.broadcast()) {
                return MacAddress.BROADCAST;
            }
            if (Ipv4Address.isMulticast(d)) {
                return 0x0100_5e00_0000L | (d & 0x7fffff);   // RFC 1112 section 6.4
            }
        } else if (dst.isMulticast()) {
            return 0x3333_0000_0000L | (dst.lo() & 0xffff_ffffL);   // RFC 2464 section 7
        }
        return neighbors.lookup(dst.hi(), dst.lo());
    }

    /** Asks the guest for the MAC of {@code (hi, lo)}: ARP or a neighbour solicitation. */
    void requestMac(long hi, long lo) {
        if (IpAddress.isIpv4(hi, lo)) {
            arp.request((int) lo);
        } else if (ndp != null) {
            ndp.solicit(hi, lo);
        }
    }

    /** Completes a frame whose IP datagram starts after its Ethernet header, now that its MAC is known, and sends it. */
    void sendResolved(ByteBuf frame, long mac) {
        int eth = frame.readerIndex();
        int version = frame.getUnsignedByte(eth + EthernetFrame.HEADER_LENGTH) >>> 4;
        EthernetFrame.write(frame, eth, mac, gatewayMac, version == 6 ? EthernetFrame.TYPE_IPV6 : EthernetFrame.TYPE_IPV4);
        sendFrame(frame);
    }

    void sendFrame(ByteBuf frame) {
        if (sw.count() == 0) {
            stats.drops().increment(DropReason.NO_TRANSPORT);
            frame.release();
            return;
        }
        stats.traffic().increment(NetworkStats.Traffic.FRAMES_TO_GUEST);
        stats.traffic().add(NetworkStats.Traffic.BYTES_TO_GUEST, frame.readableBytes());
        if (tap != null) {
            try {
                tap.toGuest(frame, ticker.nanoTime());
            } catch (RuntimeException e) {
                tapFailed(e);
            }
        }
        sw.fromEngine(frame);
    }

    // ---------------------------------------------------------------- ICMP errors

    void sendIcmpError(GuestPacket offending, IpAddress from, IcmpError error) {
        if (offending.isIpv6()) {
            sendIcmpv6Error(offending, from, error);
            return;
        }
        Ipv4Packet ip = offending.ipv4();
        // RFC 1122 3.2.2: never about ICMP errors, non-initial fragments, or to
        // addresses that do not name one host.
        if (ip.source() == Ipv4Address.ANY || Ipv4Address.isMulticast(ip.destination())
                || ip.destination() == Ipv4Address.BROADCAST || ip.destination() == config.broadcast()
                || ip.fragmentOffset() != 0) {
            return;
        }
        if (ip.protocol() == Ipv4Packet.PROTO_ICMP && ip.payloadLength() >= 1) {
            int t = ip.buffer().getUnsignedByte(ip.payloadOffset());
            if (t != IcmpPacket.TYPE_ECHO_REQUEST && t != IcmpPacket.TYPE_ECHO_REPLY) {
                return;
            }
        }
        sendIcmpError(from, IpAddress.ipv4(ip.source()), error, ip.buffer(), ip.offset(), ip.totalLength());
    }

    /** RFC 4443 section 2.4 (e): never about ICMPv6 errors, to multicast, or from an unspecified or multicast source. */
    private void sendIcmpv6Error(GuestPacket offending, IpAddress from, IcmpError error) {
        Ipv6Packet ip = offending.ipv6();
        long srcHi = ip.sourceHi();
        long srcLo = ip.sourceLo();
        if ((srcHi == 0 && srcLo == 0) || (srcHi >>> 56) == 0xff || (ip.destinationHi() >>> 56) == 0xff) {
            return;
        }
        if (offending.protocol() == GuestPacket.PROTO_ICMPV6 && offending.transportLength() >= 1
                && offending.buffer().getUnsignedByte(offending.transportOffset()) < 128) {
            return;
        }
        sendIcmpError(from, offending.source(), error, ip.buffer(), ip.offset(), ip.totalLength());
    }

    void sendIcmpError(IpAddress from, IpAddress to, IcmpError error, ByteBuf quote, int offset, int length) {
        boolean v6 = to.isIpv6();
        int q = Math.min(length, v6 ? ICMPV6_ERROR_MAX_QUOTE : ICMP_ERROR_MAX_QUOTE);
        int len = IcmpPacket.HEADER_LENGTH + q;
        ByteBuf frame = newFrame(len);
        int off = frame.writerIndex();
        frame.setBytes(off + IcmpPacket.HEADER_LENGTH, quote, offset, q);
        IcmpPacket.writeHeader(frame, off, error.type(v6), error.code(v6), 0);
        frame.writerIndex(off + len);
        stats.traffic().increment(NetworkStats.Traffic.ICMP_ERRORS);
        send(frame, from, to, v6 ? GuestPacket.PROTO_ICMPV6 : GuestPacket.PROTO_ICMP, 0);
    }

    private int nextIpId() {
        nextIpId = (nextIpId + 1) & 0xffff;
        return nextIpId;
    }
}
