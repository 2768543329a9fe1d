package dev.jslirp.transport;

import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.stats.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The part every transport's last handler shares: while the channel carries a QEMU's
 * frames it is a port of the network ({@link GuestNetwork#attach}), hands that guest's
 * frames to the network, passes writability changes on for that port, and detaches the
 * port when the channel goes inactive. Runs on the channel's event loop, which is the
 * network's.
 */
public abstract class GuestLinkHandler extends ChannelInboundHandlerAdapter {
    /** The network frames go to. */
    protected final GuestNetwork network;
    /** The transport counters. */
    protected final Counters<TransportCounter> counters;
    private final PortOptions portOptions;
    private ChannelFrameSink sink;
    private GuestPort port;

    /** A handler for {@code network}, whose port is treated as {@code portOptions} say. */
    protected GuestLinkHandler(GuestNetwork network, PortOptions portOptions) {
        this.network = network;
        this.portOptions = portOptions;
        this.counters = GuestTransport.counters(network);
    }

    /**
     * Attaches {@code s} to the network as a new port named {@code name} and counts a
     * connection.
     *
     * @throws IllegalStateException if the network is closed or has its maximum of ports
     */
    protected final void attach(ChannelFrameSink s, String name) {
        port = network.attach(s, portOptions.withName(name));
        s.attachedAs(port);
        sink = s;
        counters.increment(TransportCounter.CONNECTIONS);
    }

    /** True while this handler's sink is attached. */
    protected final boolean isAttached() {
        return sink != null;
    }

    /** This handler's port while attached, else null. */
    protected final GuestPort port() {
        return port;
    }

    /** Hands {@code frame} to the network from this port; the network releases it. */
    protected final void deliver(ByteBuf frame) {
        network.receiveFromGuest(port, frame);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (sink != null) {
            sink.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Detaches the port if attached, then calls {@link #inactive}. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        boolean was = sink != null;
        if (was) {
            sink = null;
            GuestPort p = port;
            port = null;
            network.detach(p);
            counters.increment(TransportCounter.DISCONNECTS);
        }
        inactive(ctx, was);
        ctx.fireChannelInactive();
    }

    /**
     * The channel went inactive, after the port was detached.
     *
     * @param wasAttached whether this handler's sink had been attached
     */
    protected void inactive(ChannelHandlerContext ctx, boolean wasAttached) {
    }
}
