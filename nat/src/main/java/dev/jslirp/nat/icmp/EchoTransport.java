package dev.jslirp.nat.icmp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.nat.HostChannelSetup;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;

/**
 * How echo requests of one address family leave the host and their replies come back: a
 * ping socket per session ({@link PingTransport}) or one raw socket for all of them
 * ({@link RawTransport}). Runs on the network's event loop.
 */
abstract class EchoTransport {
    /** Reads up to the largest ICMP message (an IPv4 datagram's payload, IPv6's is a little more). */
    private static final int MAX_MESSAGE = 65536;

    final IcmpNat nat;
    final GuestContext ctx;
    final boolean ipv6;

    EchoTransport(IcmpNat nat, GuestContext ctx, boolean ipv6) {
        this.nat = nat;
        this.ctx = ctx;
        this.ipv6 = ipv6;
    }

    /** What the start-up log says it uses. */
    abstract String description();

    /** Gives {@code session} its host side; false if that failed (logged at debug). */
    abstract boolean open(EchoSession session);

    /**
     * Sends the guest's echo request {@code packet} (an ICMP or ICMPv6 echo request, code 0)
     * of {@code session} to {@code destination} (port 0). The packet stays the caller's.
     */
    abstract void send(EchoSession session, GuestPacket packet, InetSocketAddress destination);

    /** Releases {@code session}'s host side. */
    abstract void close(EchoSession session);

    /** Closes what the transport holds beyond its sessions'. */
    void stop() {
    }

    /**
     * Registers {@code ch} on the network's loop with {@code handler}, reading whole ICMP
     * messages into the network's allocator, and binds it to the outbound address of the
     * family if one is set ({@code --outbound-addr}, as libslirp binds its ICMP sockets).
     *
     * @throws IllegalStateException if it cannot be registered or bound (the channel is closed)
     */
    Channel register(Channel ch, ChannelHandler handler) {
        ch.config().setAllocator(ctx.alloc());
        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(MAX_MESSAGE));
        HostChannelSetup.register(ctx, ch, handler, "an ICMP socket");
        InetSocketAddress outbound = nat.config().outboundBinding(ipv6);
        if (outbound != null) {
            // On the loop (the caller's thread) the bind completes before it returns.
            ChannelFuture bound = ch.bind(outbound);
            if (!bound.isSuccess()) {
                ch.close();
                throw new IllegalStateException("cannot bind an ICMP socket to " + outbound, bound.cause());
            }
        }
        return ch;
    }

    /**
     * Writes {@code message} to {@code destination} on {@code ch} and flushes; takes ownership
     * of {@code message}. A full write buffer drops it (counted), so a flood holds at most
     * the channel's high-water mark of memory.
     */
    void write(Channel ch, ByteBuf message, InetSocketAddress destination) {
        if (!ch.isWritable()) {
            nat.counters().increment(IcmpCounter.DROPPED_HOST_BUSY);
            message.release();
            return;
        }
        nat.counters().increment(IcmpCounter.ECHO_REQUESTS_TO_HOST);
        // The void promise reports a failed send to the channel's exceptionCaught.
        ch.writeAndFlush(new DatagramPacket(message, destination), ch.voidPromise());
    }
}
