package dev.jslirp.core.spi;

import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.TcpOptions;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;

/**
 * One validated IP packet from the guest, IPv4 or IPv6, as offered to
 * {@link GuestService}s: the frame and views already checked for length and checksum at
 * every layer up to the transport header. One instance per network is reused for every
 * packet, so nothing here may be kept past {@link GuestService#handle}.
 *
 * <p>Services read the family-neutral accessors: addresses as {@code (hi, lo)} pairs of
 * {@link IpAddress}'s form (compared without allocating, e.g. with
 * {@link #destinationIs}), the upper-layer {@link #protocol()} and where the transport
 * header lies. {@link #source()} and {@link #destination()} make {@link IpAddress}
 * objects for slow paths (a new flow, a DNS query). Family-specific views
 * ({@link #ipv4()}, {@link #ipv6()}) are there for what only one family has (DHCP,
 * fragments).
 */
public final class GuestPacket {
    /** IANA protocol numbers, shared by IPv4's protocol and IPv6's next-header fields. */
    public static final int PROTO_ICMP = 1;
    /** TCP. */
    public static final int PROTO_TCP = 6;
    /** UDP. */
    public static final int PROTO_UDP = 17;
    /** ICMPv6. */
    public static final int PROTO_ICMPV6 = 58;

    private final EthernetFrame ethernet = new EthernetFrame();
    private final Ipv4Packet ipv4 = new Ipv4Packet();
    private final Ipv6Packet ipv6 = new Ipv6Packet();
    private final UdpPacket udp = new UdpPacket();
    private final TcpPacket tcp = new TcpPacket();
    private final TcpOptions tcpOptions = new TcpOptions();
    private final IcmpPacket icmp = new IcmpPacket();
    private ByteBuf frame;
    private GuestPort port;
    private long nanoTime;
    private boolean isIpv6;
    private long srcHi;
    private long srcLo;
    private long dstHi;
    private long dstLo;
    private int protocol;
    private int ipOffset;
    private int ipLength;
    private int transportOffset;
    private int transportLength;
    private int hopLimit;
    private int trafficClass;

    /** Sets the frame (the core calls this before validating the views); the port stays. */
    public void reset(ByteBuf frame, long nanoTime) {
        this.frame = frame;
        this.nanoTime = nanoTime;
    }

    /** Sets the frame and the port it came from (the core calls this before validating the views). */
    public void reset(ByteBuf frame, long nanoTime, GuestPort port) {
        this.frame = frame;
        this.nanoTime = nanoTime;
        this.port = port;
    }

    /** Takes the addressing of the IPv4 view, which the core has checked. */
    public void useIpv4() {
        isIpv6 = false;
        srcHi = 0;
        srcLo = IpAddress.ipv4Lo(ipv4.source());
        dstHi = 0;
        dstLo = IpAddress.ipv4Lo(ipv4.destination());
        protocol = ipv4.protocol();
        ipOffset = ipv4.offset();
        ipLength = ipv4.totalLength();
        transportOffset = ipv4.payloadOffset();
        transportLength = ipv4.payloadLength();
        hopLimit = ipv4.ttl();
        trafficClass = ipv4.tos();
    }

    /** Takes the addressing of the IPv6 view, which the core has checked. */
    public void useIpv6() {
        isIpv6 = true;
        srcHi = ipv6.sourceHi();
        srcLo = ipv6.sourceLo();
        dstHi = ipv6.destinationHi();
        dstLo = ipv6.destinationLo();
        protocol = ipv6.upperProtocol();
        ipOffset = ipv6.offset();
        ipLength = ipv6.totalLength();
        transportOffset = ipv6.upperOffset();
        transportLength = ipv6.upperLength();
        hopLimit = ipv6.hopLimit();
        trafficClass = ipv6.trafficClass();
    }

    /** The whole frame; for a reassembled datagram, a buffer holding it. */
    public ByteBuf frame() {
        return frame;
    }

    /**
     * The port the frame came from: the guest that sent it. A service keeps it with what
     * the packet opens (a NAT flow), to ask that port about writability and to end what
     * belongs to it when it leaves ({@link GuestService#guestDetached(GuestPort)}).
     */
    public GuestPort port() {
        return port;
    }

    /** When the frame arrived, on the network's clock ({@link GuestContext#nanoTime()}). */
    public long nanoTime() {
        return nanoTime;
    }

    /** The Ethernet header. */
    public EthernetFrame ethernet() {
        return ethernet;
    }

    /** True for IPv6, false for IPv4. */
    public boolean isIpv6() {
        return isIpv6;
    }

    /** The IPv4 header; valid only if not {@link #isIpv6()}. */
    public Ipv4Packet ipv4() {
        return ipv4;
    }

    /** The IPv6 header and extension chain; valid only if {@link #isIpv6()}. */
    public Ipv6Packet ipv6() {
        return ipv6;
    }

    /** First half of the source address ({@link IpAddress#hi()}). */
    public long sourceHi() {
        return srcHi;
    }

    /** Second half of the source address ({@link IpAddress#lo()}). */
    public long sourceLo() {
        return srcLo;
    }

    /** First half of the destination address. */
    public long destinationHi() {
        return dstHi;
    }

    /** Second half of the destination address. */
    public long destinationLo() {
        return dstLo;
    }

    /** The source address as a value; allocates (slow paths only). */
    public IpAddress source() {
        return IpAddress.of(srcHi, srcLo);
    }

    /** The destination address as a value; allocates (slow paths only). */
    public IpAddress destination() {
        return IpAddress.of(dstHi, dstLo);
    }

    /** True if the source is {@code a}; no allocation. */
    public boolean sourceIs(IpAddress a) {
        return a.is(srcHi, srcLo);
    }

    /** True if the destination is {@code a}; no allocation. */
    public boolean destinationIs(IpAddress a) {
        return a.is(dstHi, dstLo);
    }

    /** The upper-layer protocol: {@link #PROTO_TCP}, {@link #PROTO_UDP}, {@link #PROTO_ICMP}, {@link #PROTO_ICMPV6}... */
    public int protocol() {
        return protocol;
    }

    /** Where the IP header starts in {@link #buffer()}. */
    public int ipOffset() {
        return ipOffset;
    }

    /** The IP datagram's length, headers included. */
    public int ipLength() {
        return ipLength;
    }

    /** Where the transport (upper-layer) header starts. */
    public int transportOffset() {
        return transportOffset;
    }

    /** Bytes from the transport header to the end of the datagram. */
    public int transportLength() {
        return transportLength;
    }

    /** The TTL (IPv4) or hop limit (IPv6). */
    public int hopLimit() {
        return hopLimit;
    }

    /** The type of service (IPv4) or traffic class (IPv6). */
    public int trafficClass() {
        return trafficClass;
    }

    /** The buffer the IP datagram lies in ({@link #frame()}, or the reassembled one). */
    public ByteBuf buffer() {
        return isIpv6 ? ipv6.buffer() : ipv4.buffer();
    }

    /** The pseudo-header sum of this datagram for its transport protocol and length (RFC 768/9293, RFC 8200 8.1). */
    public long pseudoHeaderSum() {
        return Checksums.pseudoHeader(srcHi, srcLo, dstHi, dstLo, protocol, transportLength);
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

    /** The ICMP or ICMPv6 header; valid only if {@link #protocol()} is one of them. */
    public IcmpPacket icmp() {
        return icmp;
    }
}
