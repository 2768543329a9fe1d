package dev.jslirp.transport.dgram;

import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.iface.RateLimitedLog;
import dev.jslirp.transport.BoundSocket;
import dev.jslirp.transport.ChannelClosing;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.GuestLinkHandler;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.QemuNetdev;
import dev.jslirp.transport.TransportCounter;
import dev.jslirp.transport.stream.StreamFrameDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jslirp on a datagram socket for QEMU's {@code -netdev dgram} (UDP or unix datagram
 * sockets) or legacy {@code -netdev socket,udp=}: one bare Ethernet frame per
 * datagram, no prefix, no connection.
 *
 * <h2>Theory of operation</h2>
 * <p>jslirp binds its local address (QEMU's {@code remote}) and sends to QEMU's local
 * address. That peer is either given, and the network is attached at start; or
 * learned from the first datagram that arrives, and the network is attached then.
 * Either way datagrams from any other address are dropped and counted
 * ({@link TransportCounter#FOREIGN_DATAGRAMS}), so another local process cannot speak
 * for the guest. With no connection there is no disconnect: a restarted QEMU on the
 * same address simply carries on. A datagram that cannot be sent (QEMU's socket not
 * there yet) is counted ({@link TransportCounter#SEND_ERRORS}) and the link stays up.
 *
 * <p>Unix datagram sockets exist only on the epoll transport (Java NIO has none);
 * asking NIO for one fails at {@link #start()} with a message saying so.
 */
public final class DatagramTransport implements GuestTransport {
    private static final Logger LOG = LoggerFactory.getLogger(DatagramTransport.class);

    private final GuestNetwork network;
    private final IoTransport io;
    private final Endpoint local;
    private final Endpoint remote;
    private final LinkBuffers buffers;
    private final RateLimitedLog errorLog = new RateLimitedLog(LOG, 5);
    private final PortOptions portOptions;
    private BoundSocket bound;
    /** QEMU's address, given or learned; touched on the event loop only. */
    private SocketAddress peer;

    /**
     * A datagram transport bound to {@code local}, talking to QEMU at {@code remote},
     * or to whoever sends first if {@code remote} is null. Both are of one kind (UDP or
     * unix).
     */
    public DatagramTransport(GuestNetwork network, IoTransport io, Endpoint local, Endpoint remote,
                             LinkBuffers buffers) {
        this(network, io, local, remote, buffers, PortOptions.named("dgram"));
    }

    /**
     * As {@link #DatagramTransport(GuestNetwork, IoTransport, Endpoint, Endpoint, LinkBuffers)},
     * the peer's port treated as {@code portOptions} say (named after the socket).
     */
    public DatagramTransport(GuestNetwork network, IoTransport io, Endpoint local, Endpoint remote,
                             LinkBuffers buffers, PortOptions portOptions) {
        this.portOptions = Objects.requireNonNull(portOptions, "portOptions");
        this.network = Objects.requireNonNull(network, "network");
        this.io = Objects.requireNonNull(io, "io");
        this.local = Objects.requireNonNull(local, "local");
        this.remote = remote;
        this.buffers = Objects.requireNonNull(buffers, "buffers");
        if (remote != null && remote.getClass() != local.getClass()) {
            throw new IllegalArgumentException("local and remote must both be unix or both be udp");
        }
    }

    @Override
    public void start() throws IOException {
        if (bound != null) {
            throw new IllegalStateException("started already");
        }
        ChannelFactory<? extends Channel> factory = io.datagramChannel(local);
        SocketAddress given = remote == null ? null : io.socketAddress(remote);
        LinkHandler handler = new LinkHandler();
        Bootstrap b = new Bootstrap()
                .group(network.eventLoop())
                .channelFactory(factory)
                // One datagram is one frame of up to QEMU's NET_BUFSIZE; the default
                // 2048-byte buffers would cut larger ones short.
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(StreamFrameDecoder.MAX_FRAME))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(buffers.lowWaterMark(), buffers.highWaterMark()))
                .handler(handler);
        bound = BoundSocket.bind(b, io, local, "bind");
        if (given != null) {
            network.eventLoop().submit(() -> handler.attachTo(given)).syncUninterruptibly();
        }
    }

    /** Receives QEMU's datagrams, on the event loop. */
    private final class LinkHandler extends GuestLinkHandler {
        LinkHandler() {
            super(DatagramTransport.this.network, portOptions);
        }

        void attachTo(SocketAddress address) {
            peer = address;
            attach(new DatagramFrameSink(bound.channel(), network, counters, buffers, address),
                    "dgram " + endpoint() + " peer " + address);
        }

        /** Hands the frame in {@code msg} to the network, which releases it; drops and releases anything else. */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof AddressedEnvelope<?, ?> env) || !(env.content() instanceof ByteBuf frame)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            SocketAddress sender = env.sender();
            if (peer == null) {
                if (!isNamed(sender)) {
                    // An unbound unix socket cannot be answered.
                    counters.increment(TransportCounter.FOREIGN_DATAGRAMS);
                    frame.release();
                    return;
                }
                try {
                    attachTo(sender);
                } catch (IllegalStateException e) {
                    // The network has its maximum of ports (or is closing): nobody to take it.
                    counters.increment(TransportCounter.REFUSED_CONNECTIONS);
                    LOG.warn("refused QEMU at {}: {}", sender, e.getMessage());
                    peer = null;
                    frame.release();
                    return;
                }
                LOG.info("QEMU's datagrams come from {}; sending frames for the guest there", sender);
            } else if (!peer.equals(sender)) {
                counters.increment(TransportCounter.FOREIGN_DATAGRAMS);
                errorLog.debug(network.nanoTime(), "dropped a datagram from {} (QEMU is {})", sender, peer);
                frame.release();
                return;
            }
            if (!frame.isReadable()) {
                counters.increment(TransportCounter.ZERO_LENGTH_FRAMES);
                frame.release();
                return;
            }
            deliver(frame);
        }

        /** A datagram that could not be sent or received: counted; the socket stays open. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            counters.increment(TransportCounter.SEND_ERRORS);
            errorLog.debug(network.nanoTime(), "datagram to {} failed: {}", peer, cause.toString());
        }
    }

    private static boolean isNamed(SocketAddress a) {
        if (a instanceof DomainSocketAddress d) {
            return !d.path().isEmpty();
        }
        return a != null;
    }

    @Override
    public Endpoint endpoint() {
        return bound != null ? bound.endpoint() : local;
    }

    /** QEMU's address if known (given, or learned from its first datagram); for tests and status. */
    public SocketAddress peer() {
        return network.eventLoop().submit(() -> peer).syncUninterruptibly().getNow();
    }

    /**
     * QEMU's {@code local} is jslirp's remote (or a placeholder {@code QEMU_HOST:QEMU_PORT}
     * / {@code QEMU_PATH} the user picks when jslirp learns it), QEMU's {@code remote}
     * is where jslirp is bound.
     */
    @Override
    public List<String> qemuNetdevs(String id) {
        Endpoint mine = endpoint();
        List<String> forms = new ArrayList<>();
        String qemuLocal = remote != null ? QemuNetdev.address("local", remote)
                : mine instanceof Endpoint.Unix ? "local.type=unix,local.path=QEMU_PATH"
                : "local.type=inet,local.host=127.0.0.1,local.port=QEMU_PORT";
        forms.add("dgram,id=" + id + "," + qemuLocal + "," + QemuNetdev.address("remote", mine));
        String udp = QemuNetdev.legacyHostPort(mine);
        if (udp != null) {
            String localaddr = remote != null ? QemuNetdev.legacyHostPort(remote) : "127.0.0.1:QEMU_PORT";
            if (localaddr != null) {
                forms.add("socket,id=" + id + ",udp=" + udp + ",localaddr=" + localaddr);
            }
        }
        return forms;
    }

    @Override
    public String activity() {
        return "bound to " + endpoint() + ", sending to "
                + (remote != null ? "QEMU at " + remote : "the sender of the first datagram");
    }

    /** Closes the socket and removes a unix socket file it created; blocks until done. Not on the event loop. */
    @Override
    public void close() {
        if (bound != null) {
            ChannelClosing.closeAndSettle(network.eventLoop(), () -> Collections.singletonList(bound.channel()));
            bound.removeSocketFile();
        }
    }

    @Override
    public String toString() {
        return "datagram socket " + endpoint() + (remote != null ? " to " + remote : "");
    }
}
