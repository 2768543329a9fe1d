package dev.jslirp.nat.udp;

import dev.jslirp.core.buffer.MemoryBudget;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.UdpPacket;
import dev.jslirp.nat.HeadroomRecvAllocator;
import dev.jslirp.nat.HostChannelSetup;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * The data path of the UDP NAT: payloads from the guest onto host sockets and
 * datagrams from host sockets to the guest, both without copying.
 *
 * <h2>Guest to host</h2>
 * <p>A retained slice of the guest's frame (or of the reassembled datagram) is written
 * to the host socket; the socket releases it once sent. Writes are flushed once per
 * event-loop turn, not per datagram, so a burst from the guest leaves in one flush
 * (one {@code sendmmsg} with the epoll transport); a socket whose write buffer fills
 * is flushed at once, and if it is still full the datagram is dropped and counted, so
 * memory per socket stays within Netty's write-buffer high-water mark. Until the flush,
 * the datagrams of the turn are charged to the network's memory budget; one it has no
 * room for is dropped and counted ({@link UdpCounter#DROPPED_MEMORY}). The flush credits
 * them all: what a socket could not take then stays within its high-water mark, and
 * further datagrams to it are dropped until it drains.
 *
 * <h2>Host to guest</h2>
 * <p>Host sockets read with a {@link HeadroomRecvAllocator}: each datagram lands
 * {@link #HEADROOM} bytes into a pooled buffer big enough for the largest UDP
 * datagram ({@link #MAX_DATAGRAM}), exactly where {@link GuestContext#newFrame}
 * would put the payload. Connected sockets read into the buffer itself; unconnected ones
 * (a guest endpoint's socket, a forward's listener) into a view that starts at the
 * headroom ({@link HeadroomRecvAllocator#atOffset}), since Netty's epoll read path for
 * them does not honour a buffer's writer index: two small objects more per datagram,
 * beside the sender's address Netty allocates for each of them anyway. The UDP header is written in front of it and the same buffer
 * goes to {@link GuestContext#send}, which adds the checksum, the IP and Ethernet
 * headers in the remaining headroom and fragments it to the MTU if needed. The price of no copy
 * is that a small datagram occupies a 64 KiB buffer until the transport sent it; for
 * that reason datagrams are dropped (and counted) rather than queued while the guest
 * transport is not writable.
 *
 * <h2>Receive buffers</h2>
 * <p>Every host socket asks for a {@link #RECEIVE_BUFFER}-byte receive buffer. The
 * kernel's default (net.core.rmem_default, 208 KiB) holds about 90 datagrams of
 * 1472 bytes or three of 64 KiB: a millisecond or two of a 1 Gbit/s stream, less than
 * the event loop can be kept from reading on a busy machine (in tap mode the loop also
 * runs the guest's receive path for every frame it writes). Datagrams that find the
 * buffer full are dropped by the kernel where no counter of ours sees them (the host
 * namespace's UdpRcvbufErrors does). The kernel caps the request at
 * net.core.rmem_max (the kernel's own default is 208 KiB, so raise it where high-rate
 * UDP matters); the memory is only taken while datagrams wait.
 */
final class UdpRelay {
    /**
     * The largest UDP payload either family carries: 65535 - 8 (UDP header), IPv6's
     * (its payload length does not count the fixed header); IPv4's is 20 bytes less.
     */
    static final int MAX_DATAGRAM = 65535 - UdpPacket.HEADER_LENGTH;
    /** Room in front of host data for the transport prefix, Ethernet, IP (either family) and UDP headers. */
    static final int HEADROOM = FrameSink.HEADROOM + GuestContext.FRAME_OVERHEAD + UdpPacket.HEADER_LENGTH;
    /**
     * SO_RCVBUF asked for on every host socket (see the class comment): 4 MiB, about
     * 30 ms of a 1 Gbit/s stream.
     */
    static final int RECEIVE_BUFFER = 4 << 20;

    private final GuestContext ctx;
    private final Counters<UdpCounter> counters;
    /** The datagrams written this turn and not flushed yet. */
    private final MemoryBudget.Account memory;
    private final HeadroomRecvAllocator connectedAllocator =
            new HeadroomRecvAllocator(HEADROOM, new FixedRecvByteBufAllocator(MAX_DATAGRAM));
    private final HeadroomRecvAllocator unconnectedAllocator =
            HeadroomRecvAllocator.atOffset(HEADROOM, new FixedRecvByteBufAllocator(MAX_DATAGRAM));
    private final ArrayDeque<Channel> toFlush = new ArrayDeque<>();
    private final Runnable flushTask = this::flushAll;
    private Channel lastQueued;
    private boolean flushScheduled;

    UdpRelay(GuestContext ctx, Counters<UdpCounter> counters) {
        this.ctx = ctx;
        this.counters = counters;
        this.memory = ctx.memory().newAccount();
    }

    /**
     * A new UDP socket registered on the network's event loop with {@code handler} in
     * its pipeline. Called on the event loop, where the registration completes before
     * this returns.
     *
     * @param connected true for a socket that will be connected; both kinds read with
     *                  headroom (zero copy to the guest), in the form their read path
     *                  needs ({@link HeadroomRecvAllocator})
     * @throws IllegalStateException if the channel could not be registered (it is closed)
     */
    DatagramChannel newChannel(ChannelHandler handler, boolean connected) {
        DatagramChannel ch = ctx.hostChannels().udp().newChannel();
        ch.config().setAllocator(ctx.alloc());
        ch.config().setReceiveBufferSize(RECEIVE_BUFFER);
        ch.config().setRecvByteBufAllocator(connected ? connectedAllocator : unconnectedAllocator);
        return HostChannelSetup.register(ctx, ch, handler, "a UDP socket");
    }

    /** The payload of {@code packet}'s UDP datagram as a retained slice; the caller owns it. */
    static ByteBuf payloadOf(GuestPacket packet) {
        UdpPacket udp = packet.udp();
        return packet.buffer().retainedSlice(udp.payloadOffset(), udp.payloadLength());
    }

    /**
     * Writes {@code payload} to {@code ch}, addressed to {@code recipient} if the socket
     * is not connected (null otherwise), and flushes it within this event-loop turn.
     * Takes ownership of {@code payload}: the channel releases it once sent, or this
     * method does when it drops it.
     */
    void toHost(Channel ch, ByteBuf payload, InetSocketAddress recipient) {
        toHost(ch, payload, recipient, null);
    }

    /**
     * As {@link #toHost(Channel, ByteBuf, InetSocketAddress)}; a failed send goes to
     * {@code onFailure} (with the exception) instead of the channel's exceptionCaught if it
     * is not null, which costs a promise: for the first datagram of a flow, whose failure
     * (no route) must be told apart from its socket's other flows'.
     */
    void toHost(Channel ch, ByteBuf payload, InetSocketAddress recipient,
                java.util.function.Consumer<Throwable> onFailure) {
        if (!ch.isWritable()) {
            ch.flush();
            if (!ch.isWritable()) {
                counters.increment(UdpCounter.DROPPED_HOST_BUSY);
                payload.release();
                return;
            }
        }
        if (!memory.tryReserve(payload.readableBytes())) {
            counters.increment(UdpCounter.DROPPED_MEMORY);
            payload.release();
            return;
        }
        counters.increment(UdpCounter.DATAGRAMS_TO_HOST);
        counters.add(UdpCounter.BYTES_TO_HOST, payload.readableBytes());
        // The void promise reports a failed send (PortUnreachableException and the like)
        // to the channel's exceptionCaught, where the flow turns it into ICMP.
        Object msg = recipient == null ? payload : new DatagramPacket(payload, recipient);
        if (onFailure == null) {
            ch.write(msg, ch.voidPromise());
        } else {
            ch.write(msg).addListener(f -> {
                if (!f.isSuccess()) {
                    onFailure.accept(f.cause());
                }
            });
        }
        if (ch != lastQueued) {
            toFlush.add(ch);
            lastQueued = ch;
        }
        if (!flushScheduled) {
            flushScheduled = true;
            ctx.eventLoop().execute(flushTask);
        }
    }

    private void flushAll() {
        flushScheduled = false;
        lastQueued = null;
        Channel ch;
        while ((ch = toFlush.poll()) != null) {
            ch.flush();
        }
        memory.releaseAll();
    }

    /**
     * Sends a datagram the host socket read for flow {@code flow} to the guest, from
     * the flow's remote end to its guest end. Takes ownership of {@code data}. If it was
     * read with {@link #HEADROOM} bytes free before its reader index, the headers are
     * written there and the buffer goes to the guest as it is; else it is copied first.
     */
    void toGuest(UdpFlow flow, ByteBuf data) {
        GuestPort port = flow.port;
        if (port == null ? !ctx.isGuestAttached() : !port.isWritable()) {
            counters.increment(port != null && port.isAttached() ? UdpCounter.DROPPED_GUEST_BUSY
                    : UdpCounter.DROPPED_GUEST_DETACHED);
            data.release();
            return;
        }
        if (!HeadroomRecvAllocator.hasHeadroom(data, HEADROOM)) {
            counters.increment(UdpCounter.DATAGRAMS_COPIED_TO_GUEST);
        }
        ByteBuf frame = HeadroomRecvAllocator.withHeadroom(data, HEADROOM, ctx.alloc());
        int len = frame.readableBytes();
        int udpOff = frame.readerIndex() - UdpPacket.HEADER_LENGTH;
        counters.increment(UdpCounter.DATAGRAMS_TO_GUEST);
        counters.add(UdpCounter.BYTES_TO_GUEST, len);
        UdpPacket.writeHeader(frame, udpOff, flow.remotePort, flow.guestPort, UdpPacket.HEADER_LENGTH + len);
        frame.readerIndex(udpOff - GuestContext.FRAME_OVERHEAD);
        // Fragmenting allowed: a datagram above the MTU reaches the guest as fragments.
        ctx.send(frame, flow.remote, flow.guest, GuestPacket.PROTO_UDP, 0);
    }

    /** Forgets pending flushes (the channels are being closed). */
    void clear() {
        toFlush.clear();
        lastQueued = null;
        memory.releaseAll();
    }
}
