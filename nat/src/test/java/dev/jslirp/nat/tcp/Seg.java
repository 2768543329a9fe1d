package dev.jslirp.nat.tcp;

import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.TcpOptions;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * A TCP segment jslirp sent to the guest, decoded and checked: IPv4 header checksum,
 * DF, TCP checksum and option syntax are asserted while parsing, so every segment a
 * test looks at has been verified.
 */
final class Seg {
    int srcIp;
    int dstIp;
    int srcPort;
    int dstPort;
    int seq;
    int ack;
    int flags;
    int window;
    int ipTotalLength;
    final TcpOptions options = new TcpOptions();
    byte[] payload;

    /** Parses and checks {@code frame}, then releases it. */
    static Seg parse(ByteBuf frame) {
        try {
            EthernetFrame eth = new EthernetFrame();
            if (!eth.wrap(frame) || eth.etherType() != EthernetFrame.TYPE_IPV4) {
                throw new AssertionError("not an IPv4 frame: " + ByteBufUtil.hexDump(frame));
            }
            Ipv4Packet ip = new Ipv4Packet();
            if (ip.wrap(frame, eth.payloadOffset(), frame.writerIndex()) != null || !ip.verifyChecksum()) {
                throw new AssertionError("bad IPv4 header: " + ByteBufUtil.hexDump(frame));
            }
            if (ip.protocol() != Ipv4Packet.PROTO_TCP) {
                throw new AssertionError("not TCP: protocol " + ip.protocol());
            }
            if (!ip.dontFragment()) {
                throw new AssertionError("TCP to the guest must carry DF");
            }
            TcpPacket tcp = new TcpPacket();
            if (!tcp.wrap(frame, ip.payloadOffset(), ip.payloadLength())) {
                throw new AssertionError("bad TCP header");
            }
            if (!tcp.verifyChecksum(ip.source(), ip.destination())) {
                throw new AssertionError("bad TCP checksum: " + ByteBufUtil.hexDump(frame));
            }
            Seg s = new Seg();
            if (!tcp.parseOptions(s.options)) {
                throw new AssertionError("bad TCP options");
            }
            s.srcIp = ip.source();
            s.dstIp = ip.destination();
            s.ipTotalLength = ip.totalLength();
            s.srcPort = tcp.sourcePort();
            s.dstPort = tcp.destinationPort();
            s.seq = tcp.seq();
            s.ack = tcp.ack();
            s.flags = tcp.flags();
            s.window = tcp.window();
            s.payload = ByteBufUtil.getBytes(frame, tcp.payloadOffset(), tcp.payloadLength());
            return s;
        } finally {
            frame.release();
        }
    }

    boolean has(int mask) {
        return (flags & mask) == mask;
    }

    int len() {
        return payload.length;
    }

    @Override
    public String toString() {
        return Ipv4Address.toString(srcIp) + ":" + srcPort + " > " + Ipv4Address.toString(dstIp) + ":" + dstPort
                + " [" + TcpPacket.flagsToString(flags) + "] seq " + Integer.toUnsignedString(seq) + " ack "
                + Integer.toUnsignedString(ack) + " win " + window + " len " + payload.length
                + (options.hasTimestamp ? " ts " + options.tsVal + "/" + options.tsEcr : "")
                + (options.sackBlocks > 0 ? " sack " + options.sackBlocks : "");
    }
}
