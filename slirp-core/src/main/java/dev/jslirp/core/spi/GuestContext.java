package dev.jslirp.core.spi;

import dev.jslirp.core.buffer.MemoryBudget;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.wire.IpAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;

/**
 * What a {@link GuestService} may use of its network: the event loop everything runs
 * on, the allocator, the clock, the counters and the way to the guest.
 *
 * <p>All methods must be called on {@link #eventLoop()}.
 */
public interface GuestContext {
    /**
     * Bytes {@link #newFrame} reserves in front of the transport header: Ethernet and
     * the larger IP header (IPv6's 40 bytes), so one frame serves either family.
     */
    int FRAME_OVERHEAD = 14 + 40;

    /**
     * {@link #send} option: never fragment. IPv4 datagrams carry DF; a datagram of either
     * family above the MTU is dropped and counted instead of fragmented.
     */
    int DONT_FRAGMENT = 1;

    /** {@link #send} option bits carrying the IPv4 type of service or IPv6 traffic class {@code tc}. */
    static int trafficClass(int tc) {
        return (tc & 0xff) << 8;
    }

    /** The addressing and limits of the network. */
    NetworkConfig config();

    /** The event loop owning all of this network's state; host channels register here. */
    EventLoop eventLoop();

    /** The allocator for frames and host I/O. */
    ByteBufAllocator alloc();

    /** Factories for host sockets matching {@link #eventLoop()}'s I/O handler. */
    HostChannels hostChannels();

    /**
     * The network's memory budget ({@code --max-memory}): a service that holds bytes for a
     * guest or a peer charges them to an account of it and credits them when it lets go.
     */
    MemoryBudget memory();

    /** Counters; services register their own sets here. */
    NetworkStats stats();

    /** The network's clock in nanoseconds (the event loop's ticker, mockable in tests). */
    long nanoTime();

    /**
     * A buffer for one IP datagram of either family to the guest with room for
     * {@code transportLength} bytes of transport header and data. Its reader index
     * leaves {@link FrameSink#HEADROOM}; its writer index stands
     * {@link #FRAME_OVERHEAD} bytes later, where the transport header goes. The caller
     * writes the transport header and data, then passes it to {@link #send}; it owns
     * the buffer until then.
     */
    ByteBuf newFrame(int transportLength);

    /**
     * Sends a transport payload (TCP segment, UDP datagram, ICMP message...) from
     * {@code src} to the guest at {@code dst}: {@code frame} holds it from
     * {@code readerIndex + FRAME_OVERHEAD} to its writer index, as {@link #newFrame}
     * leaves it (a buffer read with as much headroom serves too). The core then
     *
     * <ul>
     *   <li>writes the transport checksum with the pseudo-header of the family: complete,
     *       or, for TCP when the transport has the guest complete it
     *       ({@link FrameSink#completesTcpChecksums()}), the pseudo-header sum only. The
     *       checksum field's content is ignored; this is the one place the form is
     *       decided;</li>
     *   <li>writes the IPv4 or IPv6 header ({@code src} and {@code dst} must be of one
     *       family) and fragments a datagram above the MTU unless
     *       {@link #DONT_FRAGMENT};</li>
     *   <li>resolves the guest's MAC (ARP or neighbour discovery; the frame waits
     *       briefly if needed) and writes the Ethernet header.</li>
     * </ul>
     *
     * Takes ownership of {@code frame}.
     *
     * @param protocol the IP protocol / next header ({@link GuestPacket#PROTO_TCP}...)
     * @param options  {@link #DONT_FRAGMENT}, {@link #trafficClass(int)}, or 0
     */
    void send(ByteBuf frame, IpAddress src, IpAddress dst, int protocol, int options);

    /**
     * As {@link #send(ByteBuf, IpAddress, IpAddress, int, int)} for a transport payload
     * in two parts, neither copied: the headers in {@code headers} (a {@link #newFrame}
     * buffer whose writer index ends them) and the data in {@code payload}'s readable
     * bytes. The checksum covers both; the frame goes out as one composite buffer and is
     * never fragmented (send it with {@link #DONT_FRAGMENT} and within the MTU). Takes
     * ownership of both buffers.
     */
    void send(ByteBuf headers, ByteBuf payload, IpAddress src, IpAddress dst, int protocol, int options);

    /** Sends a complete Ethernet frame. Takes ownership of {@code frame}. */
    void sendFrame(ByteBuf frame);

    /**
     * Sends {@code error} about {@code offending} (a datagram from the guest) back to its
     * source, from {@code from}, quoting as much of it as the family's rules allow
     * (RFC 792 and RFC 1812 4.3.2.3 for IPv4, RFC 4443 2.4 for IPv6); nothing is sent
     * where those rules forbid an error (about an error, a multicast, a non-initial
     * fragment...). The offending packet stays owned by the caller.
     */
    void sendIcmpError(GuestPacket offending, IpAddress from, IcmpError error);

    /**
     * Sends {@code error} to guest address {@code to} from {@code from}, quoting the
     * {@code length} bytes of a datagram the guest sent earlier (its IP header and at
     * least the first 8 bytes after it) kept at {@code offset} in {@code quote}, which
     * stays the caller's. For errors the host reports after the guest's packet is gone.
     */
    void sendIcmpError(IpAddress from, IpAddress to, IcmpError error, ByteBuf quote, int offset, int length);

    /**
     * Records that guest address {@code ip} is at {@code mac}, as a DHCP server knows
     * before ARP does, so datagrams to it need no ARP round trip.
     */
    void addNeighbor(IpAddress ip, long mac);

    /** True while at least one guest (port) is attached. */
    boolean isGuestAttached();

    /**
     * The port the guest address {@code guest} is on (learned from its frames or assigned
     * by DHCP), or null if no attached guest has it: for what a service opens towards a
     * guest before the guest sent anything on it (a port forward's flow), so it can ask
     * that port whether it takes more ({@link GuestPort#isWritable()}).
     */
    GuestPort portOf(IpAddress guest);

    /**
     * Registers where TCP connections from the guest to {@code ip:port} on the virtual
     * network go on the host, for services that answer over TCP on the network's own
     * addresses (DNS over TCP on the DNS address).
     */
    void registerTcpEndpoint(IpAddress ip, int port, InetSocketAddress hostTarget);

    /** The host target registered for {@code ip:port}, or null. */
    InetSocketAddress tcpEndpoint(IpAddress ip, int port);
}
