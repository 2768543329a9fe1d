package dev.jslirp.nat.tcp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.HostChannels;
import dev.jslirp.nat.HostTarget;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.guestfwd.CommandLauncher;
import dev.jslirp.nat.guestfwd.GuestfwdCounter;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import java.net.ConnectException;
import java.net.InetSocketAddress;

/**
 * Opens host connections as Netty channels on the guest's event loop, with the channel
 * factories the context provides (NIO or epoll): TCP for addresses, unix stream sockets
 * for {@code unix:} guest forwards, and a {@link CommandLauncher}'s socket for
 * {@code cmd:} ones. The connect has no Netty timeout: the flow's own
 * {@code tcpConnectTimeout} deadline aborts it, so one clock rules. The channels read
 * into the guest's allocator (see {@link NettyHostSocket}). With an outbound address
 * ({@link NatConfig#outboundBinding}) each TCP socket is bound to it first.
 */
final class NettyHostConnector implements HostConnector {
    private final GuestContext ctx;
    private final NatConfig config;
    private final CommandLauncher launcher;
    private final Bootstrap tcp;
    private final Bootstrap unix;

    /** Connects on {@code ctx}'s loop; {@code launcher} runs {@code cmd:} targets (null: none here). */
    NettyHostConnector(GuestContext ctx, NatConfig config, CommandLauncher launcher) {
        this.ctx = ctx;
        this.config = config;
        this.launcher = launcher;
        int bufferBytes = config.tcpBufferBytes();
        Bootstrap common = new Bootstrap()
                .group(ctx.eventLoop())
                .option(ChannelOption.ALLOCATOR, ctx.alloc())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(bufferBytes / 4, bufferBytes / 2));
        this.tcp = common.clone().channelFactory(ctx.hostChannels().tcp()).option(ChannelOption.TCP_NODELAY, true);
        HostChannels.Unix u = ctx.hostChannels().unix();
        this.unix = u == null ? null : common.clone().channelFactory(u.stream());
    }

    @Override
    public void connect(TcpFlow flow, HostTarget target) {
        NettyHostSocket socket = new NettyHostSocket(flow, ctx);
        flow.host.attach(socket);
        if (target instanceof HostTarget.Inet inet) {
            InetSocketAddress local = config.outboundBinding(inet.address());
            socket.connect(local == null ? tcp : tcp.clone().localAddress(local), inet.address());
        } else if (target instanceof HostTarget.Unix u) {
            if (unix == null) {
                socket.failLater(new ConnectException("no unix sockets on the " + ctx.hostChannels() + " transport"));
            } else {
                socket.connect(unix, ctx.hostChannels().unix().address().apply(u.path()));
            }
        } else {
            HostTarget.Command c = (HostTarget.Command) target;
            if (launcher == null) {
                socket.failLater(new ConnectException("no command launcher here for " + c));
            } else {
                socket.launched(launcher.launch(c.command(), ctx.eventLoop(),
                        ctx.stats().service("nat.guestfwd", GuestfwdCounter.class)));
            }
        }
    }
}
