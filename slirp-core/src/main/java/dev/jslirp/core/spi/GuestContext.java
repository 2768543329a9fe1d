package dev.jslirp.core.spi;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.NetworkStats;
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
    /** Ethernet + IPv4 header bytes that {@link #newIpv4Frame} reserves. */
    int IPV4_FRAME_OVERHEAD = 14 + 20;

    /** The addressing and limits of the network. */
    NetworkConfig config();

    /** The event loop owning all of this network's state; host channels register here. */
    EventLoop eventLoop();

    /** The allocator for frames and host I/O. */
    ByteBufAllocator alloc();

    /** Factories for host sockets matching {@link #eventLoop()}'s I/O handler. */
    HostChannels hostChannels();

    /** Counters; services register their own sets here. */
    NetworkStats stats();

    /** The network's clock in nanoseconds (the event loop's ticker, mockable in tests). */
    long nanoTime();

    /**
     * A buffer for one IPv4 datagram to the guest with room for {@code l4Length} bytes
     * after the headers. Its reader index leaves {@link FrameSink#HEADROOM}; its writer
     * index stands where the transport header goes, after the Ethernet and IPv4 headers
     * that {@link #sendIpv4} fills in. The caller owns it until it passes it on.
     */
    ByteBuf newIpv4Frame(int l4Length);

    /**
     * Completes and sends an IPv4 datagram built in a {@link #newIpv4Frame} buffer whose
     * writer index ends the datagram: writes the IPv4 header (with checksum) and the
     * Ethernet header (the guest's MAC for {@code dst}), and fragments it if it exceeds
     * the MTU and {@code dontFragment} is false. The transport checksum must already be
     * in place. Takes ownership of {@code frame}.
     */
    void sendIpv4(ByteBuf frame, int src, int dst, int protocol, int tos, boolean dontFragment);

    /** Sends a complete Ethernet frame. Takes ownership of {@code frame}. */
    void sendFrame(ByteBuf frame);

    /**
     * Sends an ICMP error about {@code offending} (a datagram from the guest) back to
     * the guest, from {@code from}, with the offending header and first 8 bytes of
     * its payload (RFC 792). The offending packet stays owned by the caller.
     */
    void sendIcmpError(GuestPacket offending, int from, int type, int code, int restOfHeader);

    /**
     * Records that guest address {@code ip} is at {@code mac}, as a DHCP server knows
     * before ARP does, so datagrams to it need no ARP round trip.
     */
    void addNeighbor(int ip, long mac);

    /** False while the guest transport cannot take more frames; see {@link FrameSink#isWritable()}. */
    boolean isGuestWritable();

    /** True while a transport is attached. */
    boolean isGuestAttached();

    /**
     * True if the attached transport completes TCP checksums
     * ({@link FrameSink#completesTcpChecksums()}): TCP segments for the guest then carry
     * only the pseudo-header sum.
     */
    boolean guestCompletesTcpChecksums();

    /**
     * Registers where TCP connections from the guest to {@code ip:port} on the virtual
     * network go on the host, for services that answer over TCP on the network's own
     * addresses (DNS over TCP on the DNS address).
     */
    void registerTcpEndpoint(int ip, int port, InetSocketAddress hostTarget);

    /** The host target registered for {@code ip:port}, or null. */
    InetSocketAddress tcpEndpoint(int ip, int port);
}
