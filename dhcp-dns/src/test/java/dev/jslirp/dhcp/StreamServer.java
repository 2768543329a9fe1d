package dev.jslirp.dhcp;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.spi.HostChannels;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A minimal QEMU {@code -netdev stream} peer for tests: a TCP server on 127.0.0.1
 * whose one client exchanges Ethernet frames, each preceded by its length as a
 * 4-byte big-endian integer, with a {@link GuestNetwork} running on the same event
 * loop. The real transport lives in qemu-socket-adapter; this one only carries
 * frames for tests of services against independent clients.
 */
final class StreamServer implements AutoCloseable {
    /** QEMU drops a stream peer sending a frame over this size (net/stream.c: NET_BUFSIZE + 4096). */
    private static final int MAX_FRAME = 4096 + 65536;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final GuestNetwork network;
    private final Channel server;

    StreamServer(NetworkConfig config, GuestService... services) {
        GuestNetwork.Builder b = GuestNetwork.builder(group.next()).config(config).hostChannels(HostChannels.nio());
        for (GuestService s : services) {
            b.service(s);
        }
        network = b.build();
        server = new ServerBootstrap()
                .group(network.eventLoop())
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4));
                        ch.pipeline().addLast(new GuestHandler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .syncUninterruptibly()
                .channel();
    }

    /** The port QEMU (or a test client) connects to. */
    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    GuestNetwork network() {
        return network;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        network.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Frames from the client to the network; the network's frames back to the client. */
    private final class GuestHandler extends ChannelInboundHandlerAdapter implements FrameSink {
        private Channel channel;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            network.attach(this);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            network.detach();
        }

        /** Hands the frame (owned by us after the decoder) to the network, which releases it. */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            network.receiveFromGuest((ByteBuf) msg);
        }

        /** Writes the length into the headroom in front of the frame; the channel releases it. */
        @Override
        public void send(ByteBuf frame) {
            int len = frame.readableBytes();
            if (frame.readerIndex() >= 4) {
                frame.readerIndex(frame.readerIndex() - 4);
                frame.setInt(frame.readerIndex(), len);
                channel.write(frame, channel.voidPromise());
            } else {
                channel.write(channel.alloc().buffer(4).writeInt(len), channel.voidPromise());
                channel.write(frame, channel.voidPromise());
            }
        }

        @Override
        public void flush() {
            channel.flush();
        }

        @Override
        public boolean isWritable() {
            return channel.isWritable();
        }
    }
}
