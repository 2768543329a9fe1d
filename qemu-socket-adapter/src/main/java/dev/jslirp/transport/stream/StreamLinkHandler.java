package dev.jslirp.transport.stream;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TransportCounter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.ReferenceCountUtil;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a stream connection to QEMU: binds the connection to the
 * network for as long as it lives.
 *
 * <p>When the connection becomes active it attaches a {@link StreamFrameSink} to the
 * network; frames from the decoder go to {@link GuestNetwork#receiveFromGuest} (which
 * releases them); writability changes go to the network's services; when the
 * connection ends it detaches the network and then runs the owner's callback (so a
 * server accepts the next QEMU only after the network is free).
 */
final class StreamLinkHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(StreamLinkHandler.class);

    private final GuestNetwork network;
    private final Counters<TransportCounter> counters;
    private final LinkBuffers buffers;
    private final Runnable afterDetach;
    private StreamFrameSink sink;

    StreamLinkHandler(GuestNetwork network, Counters<TransportCounter> counters, LinkBuffers buffers,
                      Runnable afterDetach) {
        this.network = network;
        this.counters = counters;
        this.buffers = buffers;
        this.afterDetach = afterDetach;
    }

    /**
     * Sets up {@code ch}'s pipeline for QEMU's stream protocol: length-prefix decoder
     * and encoder, then the link to {@code network}. Call on the channel's loop before
     * it becomes active (from a {@code ChannelInitializer}).
     */
    static void install(Channel ch, GuestNetwork network, Counters<TransportCounter> counters, LinkBuffers buffers,
                        Runnable afterDetach) {
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(buffers.lowWaterMark(), buffers.highWaterMark()));
        ch.pipeline()
                .addLast("frameDecoder", new StreamFrameDecoder(counters))
                .addLast("frameEncoder", StreamFrameEncoder.INSTANCE)
                .addLast("guestLink", new StreamLinkHandler(network, counters, buffers, afterDetach));
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        StreamFrameSink s = new StreamFrameSink(ctx.channel(), network, counters, buffers);
        try {
            network.attach(s);
        } catch (IllegalStateException e) {
            LOG.warn("closing connection from {}: {}", ctx.channel().remoteAddress(), e.getMessage());
            ctx.close();
            return;
        }
        sink = s;
        counters.increment(TransportCounter.CONNECTIONS);
        LOG.info("QEMU connected ({})", describe(ctx.channel()));
        ctx.fireChannelActive();
    }

    /** Hands a frame from the decoder to the network, which releases it. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (sink == null || !(msg instanceof ByteBuf frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        network.receiveFromGuest(frame);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (sink != null) {
            sink.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (sink != null) {
            sink = null;
            network.detach();
            counters.increment(TransportCounter.DISCONNECTS);
            LOG.info("QEMU disconnected ({}); the network stays up for the next connection", describe(ctx.channel()));
        }
        afterDetach.run();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.warn("connection to QEMU ({}) failed: {}", describe(ctx.channel()), cause.toString());
        ctx.close();
    }

    /** The peer's address, or for a unix socket (whose peer has no name) the socket's path. */
    private static String describe(Channel ch) {
        SocketAddress remote = ch.remoteAddress();
        if (remote != null && !remote.toString().isEmpty()) {
            return "peer " + remote;
        }
        return "on " + ch.localAddress();
    }
}
