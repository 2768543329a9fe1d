package dev.jslirp.slirp4netns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to the API socket: one request, one reply, then the connection is
 * shut down and closed, as slirp4netns's {@code api_handler} does (read, answer, shut
 * down); bytes after the request are read and dropped until the client is done.
 *
 * <p>slirp4netns answers what a single read(2) returned; jslirp answers as soon as the
 * bytes so far hold a whole JSON value, or the client shut its sending side down
 * (rootlesskit and podman write the request, then {@code CloseWrite}), so a request
 * split over several writes is read whole. Bounds: at most
 * {@value ApiServer#MAX_REQUEST} - 1 bytes, slirp4netns's buffer less the terminating
 * NUL (more is {@code too large message}), and {@value ApiServer#IDLE_SECONDS} s for the
 * request to arrive (then the bytes so far are answered as they are, or the connection
 * is closed if there are none). Runs on the network's event loop; each inbound buffer is
 * copied and released here.
 */
final class ApiSession extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ApiSession.class);

    private final ApiCommands commands;
    private final int idleSeconds;
    private final byte[] request = new byte[ApiServer.MAX_REQUEST];
    private int length;
    private boolean answered;
    private ScheduledFuture<?> idle;

    ApiSession(ApiCommands commands, int idleSeconds) {
        this.commands = commands;
        this.idleSeconds = idleSeconds;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        idle = ctx.executor().schedule(() -> timedOut(ctx), idleSeconds, TimeUnit.SECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (answered || !(msg instanceof ByteBuf buf)) {
                return;
            }
            int n = buf.readableBytes();
            if (length + n >= request.length) {
                LOG.warn("api_handler: too large message (>= {} bytes)", request.length);
                answer(ctx, ApiCommands.error("too large message"));
                return;
            }
            buf.readBytes(request, length, n);
            length += n;
            ApiRequest.Parsed parsed = ApiRequest.parse(request, 0, length, false);
            if (parsed.outcome() != ApiRequest.Outcome.INCOMPLETE) {
                answer(ctx, parsed);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            if (answered) {
                ctx.close(); // the client has read the reply and is done
            } else {
                answer(ctx, ApiRequest.parse(request, 0, length, true));
            }
            return;
        }
        ReferenceCountUtil.release(evt);
    }

    private void timedOut(ChannelHandlerContext ctx) {
        if (answered) {
            ctx.close();
            return;
        }
        if (length == 0) {
            answered = true;
            ctx.close();
            return;
        }
        answer(ctx, ApiRequest.parse(request, 0, length, true));
    }

    private void answer(ChannelHandlerContext ctx, ApiRequest.Parsed parsed) {
        LOG.debug("api_handler: got request: {}", new String(request, 0, length, StandardCharsets.UTF_8));
        answer(ctx, commands.execute(parsed));
    }

    /**
     * Sends the reply and shuts the sending side down, so the client reads it and then
     * the end. The connection is closed once the client has shut its side too (or after
     * the idle time): closing a unix socket with unread bytes (the rest of a request too
     * large) would turn the client's end of stream into a reset, losing the reply.
     */
    private void answer(ChannelHandlerContext ctx, String reply) {
        answered = true;
        if (idle != null) {
            idle.cancel(false);
        }
        idle = ctx.executor().schedule(() -> timedOut(ctx), idleSeconds, TimeUnit.SECONDS);
        DuplexChannel ch = (DuplexChannel) ctx.channel();
        ctx.writeAndFlush(ByteBufUtil.writeUtf8(ctx.alloc(), reply)).addListener(written -> {
            if (!written.isSuccess()) {
                ctx.close();
                return;
            }
            ch.shutdownOutput().addListener(shut -> {
                if (!shut.isSuccess() || ch.isInputShutdown()) {
                    ctx.close();
                }
            });
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (idle != null) {
            idle.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("api connection failed: {}", cause.toString());
        ctx.close();
    }
}
