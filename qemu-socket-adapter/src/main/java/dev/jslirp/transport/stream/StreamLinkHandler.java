package dev.jslirp.transport.stream;

import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.transport.GuestLinkHandler;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TransportCounter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.ReferenceCountUtil;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a stream connection to QEMU: the connection is a port of the
 * network for as long as it lives.
 *
 * <p>When the connection becomes active it attaches a {@link StreamFrameSink} to the
 * network as a new port; frames from the decoder go to
 * {@link GuestNetwork#receiveFromGuest(dev.jslirp.core.spi.GuestPort, ByteBuf)} (which
 * releases them); writability changes go to the network's services for this port; when
 * the connection ends it detaches the port and then runs the owner's callback. A
 * connection the network has no room for (its maximum of ports) is closed at once,
 * counted ({@link TransportCounter#REFUSED_CONNECTIONS}) and logged.
 */
final class StreamLinkHandler extends GuestLinkHandler {
    private static final Logger LOG = LoggerFactory.getLogger(StreamLinkHandler.class);

    private final LinkBuffers buffers;
    private final Runnable afterDetach;
    private final String name;

    private StreamLinkHandler(GuestNetwork network, LinkBuffers buffers, PortOptions options, Runnable afterDetach) {
        super(network, options);
        this.buffers = buffers;
        this.afterDetach = afterDetach;
        this.name = options.name();
    }

    /**
     * Sets up {@code ch}'s pipeline for QEMU's stream protocol: length-prefix decoder
     * and encoder, then the link to {@code network}, as a port treated and named as
     * {@code options} say; {@code afterDetach} runs on the loop when the connection has
     * ended and its port is detached. Call on the channel's loop before it becomes
     * active (from a {@code ChannelInitializer}).
     *
     * <p>The channel reads into buffers of the network's allocator (pooled by default),
     * not Netty's default: each frame from the guest is a slice of a read buffer, and
     * only a pooled buffer's slices are recycled. Netty 4.2's default adaptive
     * allocator makes a new slice object per frame (measured by the benchmarks'
     * {@code StreamCodecBenchmark.decodeBatch}: 40 bytes per frame, 0 pooled).
     */
    static void install(Channel ch, GuestNetwork network, LinkBuffers buffers, PortOptions options,
                        Runnable afterDetach) {
        ch.config().setAllocator(network.alloc());
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(buffers.lowWaterMark(), buffers.highWaterMark()));
        ch.pipeline()
                .addLast("frameDecoder", new StreamFrameDecoder(GuestTransport.counters(network)))
                .addLast("frameEncoder", StreamFrameEncoder.INSTANCE)
                .addLast("guestLink", new StreamLinkHandler(network, buffers, options, afterDetach));
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        try {
            attach(new StreamFrameSink(ctx.channel(), network, counters, buffers), name);
        } catch (IllegalStateException e) {
            counters.increment(TransportCounter.REFUSED_CONNECTIONS);
            LOG.warn("refused connection {}: {}", describe(ctx.channel()), e.getMessage());
            ctx.close();
            return;
        }
        LOG.info("QEMU connected ({}): port {}", describe(ctx.channel()), port().id());
        ctx.fireChannelActive();
    }

    /** Hands a frame from the decoder to the network, which releases it. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!isAttached() || !(msg instanceof ByteBuf frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        deliver(frame);
    }

    @Override
    protected void inactive(ChannelHandlerContext ctx, boolean wasAttached) {
        if (wasAttached) {
            LOG.info("QEMU disconnected ({}); its port is gone, the network stays up", describe(ctx.channel()));
        }
        afterDetach.run();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.warn("connection to QEMU ({}) failed: {}", describe(ctx.channel()), cause.toString());
        ctx.close();
    }

    /** The peer's address, or for a unix socket whose peer has no name, the socket's path. */
    private static String describe(Channel ch) {
        SocketAddress remote = ch.remoteAddress();
        if (remote != null && !remote.toString().isEmpty()) {
            return "peer " + remote;
        }
        return "on " + ch.localAddress();
    }
}
