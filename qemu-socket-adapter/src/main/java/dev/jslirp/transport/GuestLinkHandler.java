package dev.jslirp.transport;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.stats.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The part every transport's last handler shares: it holds the sink attached to the
 * network while the channel carries QEMU's frames, hands frames to the network, passes
 * writability changes on, and detaches the network when the channel goes inactive.
 * Runs on the channel's event loop, which is the network's.
 */
public abstract class GuestLinkHandler extends ChannelInboundHandlerAdapter {
    /** The network frames go to. */
    protected final GuestNetwork network;
    /** The transport counters. */
    protected final Counters<TransportCounter> counters;
    private ChannelFrameSink sink;

    /** A handler for {@code network}. */
    protected GuestLinkHandler(GuestNetwork network) {
        this.network = network;
        this.counters = GuestTransport.counters(network);
    }

    /**
     * Attaches {@code s} to the network and counts a connection.
     *
     * @throws IllegalStateException if the network has a transport attached already or is closed
     */
    protected final void attach(ChannelFrameSink s) {
        network.attach(s);
        sink = s;
        counters.increment(TransportCounter.CONNECTIONS);
    }

    /** True while this handler's sink is attached. */
    protected final boolean isAttached() {
        return sink != null;
    }

    /** Hands {@code frame} to the network, which releases it. */
    protected final void deliver(ByteBuf frame) {
        network.receiveFromGuest(frame);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (sink != null) {
            sink.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Detaches the network if attached, then calls {@link #inactive}. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        boolean was = sink != null;
        if (was) {
            sink = null;
            network.detach();
            counters.increment(TransportCounter.DISCONNECTS);
        }
        inactive(ctx, was);
        ctx.fireChannelInactive();
    }

    /**
     * The channel went inactive, after the network was detached.
     *
     * @param wasAttached whether this handler's sink had been attached
     */
    protected void inactive(ChannelHandlerContext ctx, boolean wasAttached) {
    }
}
