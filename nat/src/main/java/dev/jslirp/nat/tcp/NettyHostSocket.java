package dev.jslirp.nat.tcp;

import dev.jslirp.core.spi.GuestContext;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.net.SocketAddress;
import java.nio.channels.NotYetConnectedException;

/**
 * A flow's host socket: one Netty channel on the guest's event loop, the only handler
 * in its pipeline, turning channel events into the {@code on*} calls of the flow's
 * {@link HostHalf}.
 *
 * <p>The channel runs with auto-read off (the flow asks for each batch), half-closure
 * allowed (host EOF is an event, not a close) and TCP_NODELAY (the guest's stack
 * already coalesced what it sent). Its write-buffer water marks, a quarter and a half
 * of the flow's buffer, make Netty report when pending writes drained, which is when
 * the window offered to the guest can open again. It reads into buffers of the guest's
 * allocator ({@link GuestContext#alloc()}, pooled), not Netty's default: 4.2's adaptive
 * allocator serves reads of 64 KiB with new unpooled buffers that are zeroed and
 * freed each time (profiled at 3 % of the CPU of a host-to-guest transfer at MTU 65520).
 *
 * <p>Buffers: reads arrive as buffers from {@link HostReadAllocator} and pass to the
 * flow (which owns them from then); writes take ownership of the guest data slices
 * and Netty releases them once written or when the channel closes.
 */
final class NettyHostSocket extends ChannelInboundHandlerAdapter implements HostSocket {
    private static final ChannelFutureListener SHUTDOWN_OUTPUT = f -> {
        if (f.channel().isActive()) {
            ((DuplexChannel) f.channel()).shutdownOutput();
        }
    };

    private final TcpFlow flow;
    private final GuestContext ctx;
    private Channel channel;
    private boolean readPending;
    /** Aborted before a launched channel came: close it when it does. */
    private boolean abandoned;
    /** The channel reported an error (a close after one is a reset). */
    private boolean errorSeen;

    NettyHostSocket(TcpFlow flow, GuestContext ctx) {
        this.flow = flow;
        this.ctx = ctx;
    }

    /**
     * Options every accepted (or launched) host channel of a flow gets; connected ones get
     * the same from the connector's templates. TCP_NODELAY where the channel is TCP.
     */
    static void configure(Channel ch, int bufferBytes, ByteBufAllocator alloc) {
        ch.config().setAllocator(alloc);
        ch.config().setAutoRead(false);
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        if (ch instanceof SocketChannel) {
            ch.config().setOption(ChannelOption.TCP_NODELAY, true);
        }
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(bufferBytes / 4, bufferBytes / 2));
    }

    /** Connects to {@code target} with a channel from {@code template}; the outcome goes to the flow. */
    void connect(Bootstrap template, SocketAddress target) {
        ChannelFuture f = template.clone()
                .option(ChannelOption.RECVBUF_ALLOCATOR, new HostReadAllocator(flow))
                .handler(this)
                .connect(target);
        channel = f.channel();
        f.addListener((ChannelFutureListener) done -> {
            long now = ctx.nanoTime();
            if (done.isSuccess()) {
                flow.host.onConnected(now);
            } else {
                flow.host.onConnectFailed(done.cause(), now);
            }
        });
    }

    /**
     * Takes over the channel a command launcher is starting (see
     * {@link dev.jslirp.nat.guestfwd.CommandLauncher#launch}); its start is the connect.
     * A flow that ended meanwhile closes the channel as soon as it comes, which ends the
     * process.
     */
    void launched(Future<Channel> started) {
        started.addListener((GenericFutureListener<Future<Channel>>) done -> {
            long now = ctx.nanoTime();
            if (!done.isSuccess()) {
                flow.host.onConnectFailed(done.cause(), now);
                return;
            }
            Channel ch = done.getNow();
            if (abandoned) {
                ch.close();
                return;
            }
            adopt(ch, flow.stack.bufferBytes);
            flow.host.onConnected(now);
        });
    }

    /** Fails the connect on a later turn of the loop, as a failed connect reports. */
    void failLater(Throwable cause) {
        ctx.eventLoop().execute(() -> flow.host.onConnectFailed(cause, ctx.nanoTime()));
    }

    /** Takes over a channel accepted on a forwarded port. */
    void adopt(Channel accepted, int bufferBytes) {
        channel = accepted;
        configure(accepted, bufferBytes, ctx.alloc());
        accepted.config().setRecvByteBufAllocator(new HostReadAllocator(flow));
        accepted.pipeline().addLast(this);
    }

    /** The channel (for tests). */
    Channel channel() {
        return channel;
    }

    @Override
    public void write(ByteBuf data) {
        channel.write(data, channel.voidPromise());
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public long pendingBytes() {
        if (channel == null) {
            return 0;
        }
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    @Override
    public void read() {
        if (!readPending && channel != null && channel.isActive()) {
            readPending = true;
            channel.read();
        }
    }

    @Override
    public void shutdownOutput() {
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(SHUTDOWN_OUTPUT);
    }

    @Override
    public void close() {
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void abort() {
        if (channel == null) {
            abandoned = true;
            return;
        }
        if (channel.isOpen()) {
            try {
                channel.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException ignored) {
                // Not connected yet: a plain close is all there is.
            }
            channel.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        if (msg instanceof ByteBuf) {
            flow.host.onData((ByteBuf) msg, ctx.nanoTime());
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext c) {
        readPending = false;
        flow.host.onReadComplete(ctx.nanoTime());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext c, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            flow.host.onEof(ctx.nanoTime());
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext c) {
        flow.host.onWritabilityChanged(ctx.nanoTime());
    }

    /**
     * A host socket error: a reset for the guest, except a read while the connect is still
     * pending. Netty's epoll transport reads a socket on EPOLLIN or EPOLLERR whatever the
     * state of its connect, and such a read fails with ENOTCONN ({@link NotYetConnectedException});
     * the connect goes on, and its outcome (connected, refused, timed out) is what the flow
     * acts on. Found by the endurance soak: about 1 in 200 guest connections to the host's
     * loopback were reset while connecting, each of which completed normally some 60 ms
     * later once this read error was left to the connect.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        if (cause instanceof NotYetConnectedException && !c.channel().isActive()) {
            return;
        }
        errorSeen = true;
        flow.host.onError(cause, ctx.nanoTime());
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) {
        long now = ctx.nanoTime();
        if (c.channel() instanceof NioDomainSocketChannel && !errorSeen) {
            // Netty's NIO byte channels honour ALLOW_HALF_CLOSURE only for a
            // SocketChannelConfig (AbstractNioByteChannel.isAllowHalfClosure, 4.2), which a
            // unix socket's config is not: the peer's EOF closes the channel. A close without
            // an error before it is that EOF, not a reset: the guest gets a FIN after the
            // data, and what it sends afterwards finds the socket closed (then a RST).
            flow.host.onEof(now);
            flow.host.onClosedAfterEof(now);
            return;
        }
        flow.host.onClosed(now);
    }
}
