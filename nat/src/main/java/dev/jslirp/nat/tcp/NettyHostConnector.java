package dev.jslirp.nat.tcp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.nat.NatConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import java.net.InetSocketAddress;

/**
 * Opens host connections as Netty channels on the guest's event loop, with the channel
 * factory the context provides (NIO or epoll). The connect has no Netty timeout: the
 * flow's own {@code tcpConnectTimeout} deadline aborts it, so one clock rules. The
 * channels read into the guest's allocator (see {@link NettyHostSocket}). With an
 * outbound address ({@link NatConfig#outboundBinding}) each socket is bound to it first.
 */
final class NettyHostConnector implements HostConnector {
    private final GuestContext ctx;
    private final NatConfig config;
    private final Bootstrap template;

    NettyHostConnector(GuestContext ctx, NatConfig config) {
        this.ctx = ctx;
        this.config = config;
        int bufferBytes = config.tcpBufferBytes();
        this.template = new Bootstrap()
                .group(ctx.eventLoop())
                .channelFactory(ctx.hostChannels().tcp())
                .option(ChannelOption.ALLOCATOR, ctx.alloc())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(bufferBytes / 4, bufferBytes / 2));
    }

    @Override
    public void connect(TcpFlow flow, InetSocketAddress target) {
        NettyHostSocket socket = new NettyHostSocket(flow, ctx);
        flow.host.attach(socket);
        InetSocketAddress local = config.outboundBinding(target);
        socket.connect(local == null ? template : template.clone().localAddress(local), target);
    }
}
