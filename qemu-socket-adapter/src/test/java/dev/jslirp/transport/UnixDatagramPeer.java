package dev.jslirp.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A unix datagram socket bound at a path on its own epoll loop, collecting what arrives:
 * QEMU's side of a unix dgram netdev, or systemd's notify socket. Linux only (the JDK has
 * no unix datagram sockets).
 */
public final class UnixDatagramPeer implements AutoCloseable {
    private final EventLoopGroup group = IoTransport.EPOLL.newEventLoopGroup(1);
    private final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    private final Channel channel;

    /** Binds {@code path}. */
    public UnixDatagramPeer(Path path) {
        channel = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                        received.add(ByteBufUtil.getBytes(p.content()));
                    }
                })
                .bind(new DomainSocketAddress(path.toString())).syncUninterruptibly().channel();
    }

    /** Sends {@code datagram} to the unix socket at {@code to}. */
    public void send(Endpoint to, byte[] datagram) {
        channel.writeAndFlush(new DomainDatagramPacket(Unpooled.wrappedBuffer(datagram),
                new DomainSocketAddress(((Endpoint.Unix) to).path().toString()))).syncUninterruptibly();
    }

    /** The next datagram received, waiting up to {@code wait}; null if none came. */
    public byte[] receive(Duration wait) throws InterruptedException {
        return received.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
