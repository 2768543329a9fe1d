package dev.jslirp.core.iface;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.FrameTap;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The way from the network to the guest: builds the Ethernet and IPv4 headers of what
 * services send, fragments datagrams larger than the MTU (RFC 791 section 3.2),
 * resolves the guest's MAC (from the {@link NeighborTable}, else holding the frame in
 * {@link PendingFrames} while ARP asks), writes ICMP errors (RFC 1122 3.2.2 rules),
 * and hands frames to the attached {@link FrameSink}.
 *
 * <p>Frames are not flushed one by one: the first frame of an event-loop turn
 * schedules one flush task, which runs after the loop's I/O, so a burst of frames
 * caused by one read costs one flush.
 *
 * <p>Confined to the network's event loop.
 */
final class GuestSender {
    private static final Logger LOG = LoggerFactory.getLogger(GuestSender.class);
    /** ICMP errors quote at most this much of the offending datagram (RFC 1812 4.3.2.3: 576 in all). */
    private static final int ICMP_ERROR_MAX_QUOTE = 576 - Ipv4Packet.MIN_HEADER_LENGTH - IcmpPacket.HEADER_LENGTH;

    private final NetworkConfig config;
    private final EventLoop loop;
    private final ByteBufAllocator alloc;
    private final Ticker ticker;
    private final NetworkStats stats;
    private final NeighborTable neighbors;
    private final PendingFrames pending;
    private final Runnable housekeeping;
    private final Runnable flushTask = this::flushNow;
    private ArpResponder arp;
    private FrameSink sink;
    private FrameTap tap;
    private boolean flushScheduled;
    private int nextIpId;

    /**
     * @param housekeeping asks the network for its periodic timer (pending frames expire)
     */
    GuestSender(NetworkConfig config, EventLoop loop, ByteBufAllocator alloc, Ticker ticker, NetworkStats stats,
                NeighborTable neighbors, PendingFrames pending, Runnable housekeeping) {
        this.config = config;
        this.loop = loop;
        this.alloc = alloc;
        this.ticker = ticker;
        this.stats = stats;
        this.neighbors = neighbors;
        this.pending = pending;
        this.housekeeping = housekeeping;
        this.nextIpId = (int) (System.nanoTime() & 0xffff);
    }

    /** The ARP responder that asks for unknown guest MACs (the two need each other). */
    void arp(ArpResponder responder) {
        this.arp = responder;
    }

    /** The transport frames go to, or null while none is attached. */
    void sink(FrameSink s) {
        this.sink = s;
    }

    FrameSink sink() {
        return sink;
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


    ByteBuf newIpv4Frame(int l4Length) {
        ByteBuf buf = alloc.directBuffer(FrameSink.HEADROOM + GuestContext.IPV4_FRAME_OVERHEAD + l4Length);
        buf.setIndex(FrameSink.HEADROOM, FrameSink.HEADROOM + GuestContext.IPV4_FRAME_OVERHEAD);
        return buf;
    }

    void sendIpv4(ByteBuf frame, int src, int dst, int protocol, int tos, boolean dontFragment) {
        int ethOff = frame.readerIndex();
        int ipOff = ethOff + EthernetFrame.HEADER_LENGTH;
        int total = frame.writerIndex() - ipOff;
        if (total > config.mtu() && !dontFragment) {
            fragment(frame, src, dst, protocol, tos);
            return;
        }
        Ipv4Packet.write(frame, ipOff, tos, total, nextIpId(), dontFragment ? Ipv4Packet.FLAG_DF : 0,
                Ipv4Packet.DEFAULT_TTL, protocol, src, dst);
        deliver(frame, dst);
    }

    /** Splits a too-large datagram on 8-byte boundaries (RFC 791 section 3.2) and sends the pieces. */
    private void fragment(ByteBuf whole, int src, int dst, int protocol, int tos) {
        try {
            int payloadOff = whole.readerIndex() + GuestContext.IPV4_FRAME_OVERHEAD;
            int payloadLen = whole.writerIndex() - payloadOff;
            int chunk = ((config.mtu() - Ipv4Packet.MIN_HEADER_LENGTH) / 8) * 8;
            int id = nextIpId();
            stats.traffic().increment(NetworkStats.Traffic.FRAGMENTED);
            for (int off = 0; off < payloadLen; off += chunk) {
                int len = Math.min(chunk, payloadLen - off);
                boolean more = off + len < payloadLen;
                ByteBuf piece = newIpv4Frame(len);
                piece.writeBytes(whole, payloadOff + off, len);
                Ipv4Packet.write(piece, piece.readerIndex() + EthernetFrame.HEADER_LENGTH, tos,
                        Ipv4Packet.MIN_HEADER_LENGTH + len, id, (more ? Ipv4Packet.FLAG_MF : 0) | (off / 8),
                        Ipv4Packet.DEFAULT_TTL, protocol, src, dst);
                deliver(piece, dst);
            }
        } finally {
            whole.release();
        }
    }

    private void deliver(ByteBuf frame, int dst) {
        long mac = destinationMac(dst);
        if (mac == MacAddress.ZERO) {
            if (!pending.add(dst, frame, ticker.nanoTime(), this)) {
                stats.drops().increment(DropReason.GUEST_MAC_UNRESOLVED);
                frame.release();
            }
            housekeeping.run();
            return;
        }
        EthernetFrame.write(frame, frame.readerIndex(), mac, config.gatewayMac(), EthernetFrame.TYPE_IPV4);
        sendFrame(frame);
    }

    private long destinationMac(int dst) {
        if (dst == Ipv4Address.BROADCAST || dst == config.broadcast()) {
            return MacAddress.BROADCAST;
        }
        if (Ipv4Address.isMulticast(dst)) {
            return 0x0100_5e00_0000L | (dst & 0x7fffff);   // RFC 1112 section 6.4
        }
        return neighbors.lookup(dst);
    }

    /** Sends an ARP request for {@code ip}; used while datagrams wait for it. */
    void requestMac(int ip) {
        arp.request(ip);
    }

    /** Completes a pending frame once its MAC is known and sends it. */
    void sendResolved(ByteBuf frame, long mac) {
        EthernetFrame.write(frame, frame.readerIndex(), mac, config.gatewayMac(), EthernetFrame.TYPE_IPV4);
        sendFrame(frame);
    }

    void sendFrame(ByteBuf frame) {
        FrameSink s = sink;
        if (s == null) {
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
        s.send(frame);
        if (!flushScheduled) {
            flushScheduled = true;
            loop.execute(flushTask);
        }
    }

    private void flushNow() {
        flushScheduled = false;
        FrameSink s = sink;
        if (s != null) {
            s.flush();
        }
    }

    void sendIcmpError(GuestPacket offending, int from, int type, int code, int restOfHeader) {
        Ipv4Packet ip = offending.ip();
        int dst = ip.source();
        // RFC 1122 3.2.2: never about ICMP errors, non-initial fragments, or to
        // addresses that do not name one host.
        if (dst == Ipv4Address.ANY || Ipv4Address.isMulticast(ip.destination())
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
        int quote = Math.min(ip.totalLength(), ICMP_ERROR_MAX_QUOTE);
        int len = IcmpPacket.HEADER_LENGTH + quote;
        ByteBuf frame = newIpv4Frame(len);
        int off = frame.writerIndex();
        frame.setBytes(off + IcmpPacket.HEADER_LENGTH, ip.buffer(), ip.offset(), quote);
        IcmpPacket.write(frame, off, len, type, code, restOfHeader);
        frame.writerIndex(off + len);
        sendIpv4(frame, from, dst, Ipv4Packet.PROTO_ICMP, 0, false);
    }

    private int nextIpId() {
        nextIpId = (nextIpId + 1) & 0xffff;
        return nextIpId;
    }
}
