package dev.jslirp.nat.tcp;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.hostfwd.ForwardListener;
import dev.jslirp.nat.hostfwd.GuestLocator;
import dev.jslirp.nat.hostfwd.HostForward;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import dev.jslirp.core.spi.HostChannels;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Supplier;

/**
 * One TCP port forward ({@code hostfwd=tcp:...}), or one from a host unix socket
 * ({@code hostfwd=unix:PATH-...}): a listening socket on the host whose accepted clients
 * become connections jslirp opens to the guest (see {@link TcpConnector#openToGuest}).
 * The listener lives on the guest's event loop and survives the guest detaching;
 * removing the forward closes the listener only, as QEMU's {@code hostfwd_remove} does,
 * so connections in progress go on.
 *
 * <p>A unix socket's file is replaced if one is there already (any other file is an
 * error), as QEMU's {@code slirp_hostfwd} does, and removed when the listener closes.
 * Its clients have no address the guest could see: they come from the gateway.
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
        SocketAddress at;
        ServerBootstrap b = new ServerBootstrap().group(ctx.eventLoop());
        if (forward.hostPath() != null) {
            HostChannels.Unix unix = ctx.hostChannels().unix();
            if (unix == null) {
                throw new ConfigException("hostfwd", "'" + forward + "': no unix sockets on the " + ctx.hostChannels()
                        + " I/O transport");
            }
            replaceSocketFile(forward.hostPath());
            b.channelFactory(unix.server());
            at = unix.address().apply(forward.hostPath());
        } else {
            b.channelFactory(ctx.hostChannels().tcpServer()).option(ChannelOption.SO_REUSEADDR, true);
            at = forward.listenAddress();
        }
        b.childOption(ChannelOption.AUTO_READ, false)
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
            throw new ConfigException("hostfwd", "cannot listen on " + forward.hostEnd(forward.hostPort()) + " for "
                    + forward + ": " + bind.cause().getMessage());
        }
        listener = ch;
        bound = ch.localAddress() instanceof InetSocketAddress a ? a : null;
        return bound;
    }

    /** QEMU's rule for a unix forward's path: a socket file there is replaced, any other file refuses the forward. */
    private void replaceSocketFile(Path path) {
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isOther() || a.isSymbolicLink()) {
                throw new ConfigException("hostfwd", "'" + forward + "': " + path + " exists and is not a unix socket");
            }
            Files.delete(path);
        } catch (NoSuchFileException e) {
            // nothing to replace
        } catch (IOException e) {
            throw new ConfigException("hostfwd", "'" + forward + "': cannot replace " + path + ": " + e.getMessage());
        }
    }

    /**
     * A host client connected: open the connection to the guest, from the client's own
     * address where the address rules allow ({@link dev.jslirp.nat.HostAddressMapper#forwardSource}),
     * or refuse it.
     */
    private void accepted(Channel ch) {
        long now = stack.ctx.nanoTime();
        IpAddress guest = forward.guestAddressNow(stack.ctx.config(), locator.get());
        if (guest == null) {
            stack.counters.increment(TcpCounter.FORWARD_NO_GUEST);
        }
        InetSocketAddress client = ch.remoteAddress() instanceof InetSocketAddress a ? a : null;
        TcpFlow flow = guest == null ? null : stack.connector.openToGuest(guest, forward.guestPort(),
                stack.mapper.forwardSource(client, guest.isIpv6()), client == null ? 0 : client.getPort(), now);
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

    /** Closes the listener (connections already accepted go on), and removes a unix socket's file. */
    @Override
    public void close() {
        if (listener != null) {
            listener.close();
            listener = null;
            if (forward.hostPath() != null) {
                try {
                    Files.deleteIfExists(forward.hostPath());
                } catch (IOException ignored) {
                    // the next bind replaces it
                }
            }
        }
    }
}
