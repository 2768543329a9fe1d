package dev.jslirp.nat.tcp;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.hostfwd.ForwardListener;
import dev.jslirp.nat.hostfwd.GuestLocator;
import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.nat.hostfwd.HostForwards;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * One TCP port forward ({@code hostfwd=tcp:...}): a listening socket on the host whose
 * accepted clients become connections jslirp opens to the guest (see
 * {@link TcpConnector#openToGuest}). The listener lives on the guest's event loop and
 * survives the guest detaching; removing the forward closes the listener only, as
 * QEMU's {@code hostfwd_remove} does, so connections in progress go on.
 */
final class TcpForwardListener implements ForwardListener {
    private final HostForward forward;
    private final TcpStack stack;
    private final Supplier<GuestLocator> locator;
    private Channel listener;
    private InetSocketAddress bound;

    TcpForwardListener(HostForward forward, TcpStack stack, Supplier<GuestLocator> locator) {
        this.forward = forward;
        this.stack = stack;
        this.locator = locator;
    }

    /**
     * Binds the listener. Must run on the event loop: registration and bind then complete
     * before this returns.
     *
     * @return the bound address (with the port the system chose for host port 0)
     * @throws ConfigException naming {@code hostfwd} and the address when the bind fails
     */
    InetSocketAddress bind() {
        GuestContext ctx = stack.ctx;
        InetSocketAddress at = forward.listenAddress();
        ServerBootstrap b = new ServerBootstrap()
                .group(ctx.eventLoop())
                .channelFactory(ctx.hostChannels().tcpServer())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted(ch);
                    }
                });
        ChannelFuture registered = b.register();
        Channel ch = registered.channel();
        ChannelFuture bind = registered.isSuccess() ? ch.bind(at) : registered;
        if (!bind.isDone()) {
            ch.close();
            throw new IllegalStateException("hostfwd bind did not complete on the event loop; call on the loop");
        }
        if (!bind.isSuccess()) {
            ch.close();
            throw new ConfigException("hostfwd", "cannot listen on " + HostForwards.hostText(forward.hostAddress())
                    + ":" + forward.hostPort() + " for " + forward + ": " + bind.cause().getMessage());
        }
        listener = ch;
        bound = (InetSocketAddress) ch.localAddress();
        return bound;
    }

    /** A host client connected: open the connection to the guest, or refuse it. */
    private void accepted(Channel ch) {
        long now = stack.ctx.nanoTime();
        IpAddress guest = forward.guestAddressNow(stack.ctx.config(), locator.get());
        if (guest == null) {
            stack.counters.increment(TcpCounter.FORWARD_NO_GUEST);
        }
        TcpFlow flow = guest == null ? null : stack.connector.openToGuest(guest, forward.guestPort(),
                stack.ctx.config().hostAddress(guest.isIpv6()), now);
        if (flow == null) {
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
            ch.close();
            return;
        }
        NettyHostSocket socket = new NettyHostSocket(flow, stack.ctx);
        socket.adopt(ch, stack.bufferBytes);
        flow.host.attach(socket);
        stack.connector.sendForwardSyn(flow, now);
    }

    /** The forward as configured. */
    HostForward forward() {
        return forward;
    }

    @Override
    public InetSocketAddress boundAddress() {
        return bound;
    }

    /** Closes the listener (connections already accepted go on). */
    @Override
    public void close() {
        if (listener != null) {
            listener.close();
            listener = null;
        }
    }
}
