package dev.jslirp.core.spi;

import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.TcpOptions;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;

/**
 * One validated IPv4 packet from the guest, as offered to {@link GuestService}s: the
 * frame and views already checked for length and checksum at every layer up to the
 * transport header. One instance per network is reused for every packet, so nothing
 * here may be kept past {@link GuestService#handle}.
 */
public final class GuestPacket {
    private final EthernetFrame ethernet = new EthernetFrame();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final UdpPacket udp = new UdpPacket();
    private final TcpPacket tcp = new TcpPacket();
    private final TcpOptions tcpOptions = new TcpOptions();
    private final IcmpPacket icmp = new IcmpPacket();
    private ByteBuf frame;
    private long nanoTime;

    /** Sets the frame (the core calls this before validating the views). */
    public void reset(ByteBuf frame, long nanoTime) {
        this.frame = frame;
        this.nanoTime = nanoTime;
    }

    /** The whole frame; for a reassembled datagram, a buffer holding it. */
    public ByteBuf frame() {
        return frame;
    }

    /** When the frame arrived, on the network's clock ({@link GuestContext#nanoTime()}). */
    public long nanoTime() {
        return nanoTime;
    }

    /** The Ethernet header. */
    public EthernetFrame ethernet() {
        return ethernet;
    }

    /** The IPv4 header. */
    public Ipv4Packet ip() {
        return ip;
    }

    /** The IP protocol number: {@link Ipv4Packet#PROTO_TCP} etc. */
    public int protocol() {
        return ip.protocol();
    }

    /** The UDP header; valid only if {@link #protocol()} is UDP. */
    public UdpPacket udp() {
        return udp;
    }

    /** The TCP header; valid only if {@link #protocol()} is TCP. */
    public TcpPacket tcp() {
        return tcp;
    }

    /** The parsed TCP options; valid only if {@link #protocol()} is TCP. */
    public TcpOptions tcpOptions() {
        return tcpOptions;
    }

    /** The ICMP header; valid only if {@link #protocol()} is ICMP. */
    public IcmpPacket icmp() {
        return icmp;
    }
}
