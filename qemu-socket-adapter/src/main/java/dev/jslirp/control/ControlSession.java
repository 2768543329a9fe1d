package dev.jslirp.control;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One control connection, after the line decoder: each line is a command, answered in
 * order with its {@link ControlReply}. Runs on the network's event loop.
 *
 * <p>Order: commands run one after the other as their lines arrive. A command whose
 * reply comes later ({@code pcap start}, which opens a file off the loop) holds the lines
 * after it until the reply is sent. A reply marked
 * {@link ControlReply#afterIo()} (a forward removed) is held until the event loop has
 * polled its sockets once more, and the lines after it wait too: on Java NIO a closed
 * socket keeps its descriptor, still listening, until the selector's next poll, so the
 * client must not see "removed", nor run its next command, before then. The wait is one
 * task that schedules a second: a task scheduled from a task runs only after the loop's
 * next poll.
 *
 * <p>Bounds: a line longer than {@link ControlServer#MAX_LINE} bytes gets an
 * {@code ERROR} and is skipped up to its newline (the decoder fails fast and discards
 * it). Reading pauses while a reply is held and while unread replies are past the
 * channel's high water mark, so neither held lines nor unread replies pile up. When
 * the client shuts its output down (end of a script), the remaining lines are answered
 * and then the connection closes.
 *
 * <p>Buffers: each line arrives as a buffer from the decoder, released here; replies
 * are new buffers that Netty releases once written.
 */
final class ControlSession extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ControlSession.class);

    private final ControlRouter commands;
    /** Lines not run yet because a reply is held; at most one read's worth. */
    private final ArrayDeque<String> waiting = new ArrayDeque<>();
    private boolean holding;
    private boolean inputEnded;

    ControlSession(ControlRouter commands) {
        this.commands = commands;
    }

    /** One line, without its newline; released here. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        String line;
        try {
            if (!(msg instanceof ByteBuf buf)) {
                return;
            }
            line = buf.toString(StandardCharsets.UTF_8);
        } finally {
            ReferenceCountUtil.release(msg);
        }
        waiting.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        runWaiting(ctx);
    }

    /** Runs the waiting lines in order until one's reply must be held. */
    private void runWaiting(ChannelHandlerContext ctx) {
        while (!holding && !waiting.isEmpty() && ctx.channel().isActive()) {
            String line = waiting.poll();
            CompletableFuture<ControlReply> answer = line == TOO_LONG
                    ? CompletableFuture.completedFuture(
                            ControlReply.error("line too long (at most " + ControlServer.MAX_LINE + " bytes)"))
                    : commands.executeLater(line);
            ControlReply reply = answer.getNow(null);
            if (reply == null) {
                holdUntil(ctx, answer);
            } else if (reply.afterIo()) {
                hold(ctx, reply);
            } else {
                send(ctx, reply);
            }
        }
        if (!holding && inputEnded && waiting.isEmpty()) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        updateAutoRead(ctx);
    }

    private void hold(ChannelHandlerContext ctx, ControlReply reply) {
        holding = true;
        ctx.executor().execute(() -> ctx.executor().schedule(() -> {
            holding = false;
            send(ctx, reply);
            runWaiting(ctx);
        }, 0, TimeUnit.NANOSECONDS));
    }

    /** Holds the lines after a command whose reply comes later (from another thread), until it comes. */
    private void holdUntil(ChannelHandlerContext ctx, CompletableFuture<ControlReply> answer) {
        holding = true;
        answer.whenComplete((reply, error) -> ctx.executor().execute(() -> {
            holding = false;
            send(ctx, error == null ? reply : ControlReply.error("internal error: " + error));
            runWaiting(ctx);
        }));
    }

    private static void send(ChannelHandlerContext ctx, ControlReply reply) {
        if (!ctx.channel().isActive()) {
            return;
        }
        ByteBuf out = ByteBufUtil.writeUtf8(ctx.alloc(), reply.text());
        if (reply.close()) {
            ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(out);
        }
    }

    private void updateAutoRead(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(!holding && ctx.channel().isWritable());
    }

    /** Reads pause while unread replies exceed the high water mark, and resume once they drained. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateAutoRead(ctx);
        ctx.fireChannelWritabilityChanged();
    }

    /** The client is done sending: answer what is left, then close. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputEnded = true;
            runWaiting(ctx);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof TooLongFrameException) {
            // In line with the others: after the commands before it.
            waiting.add(TOO_LONG);
            runWaiting(ctx);
            return;
        }
        LOG.debug("control connection {}: {}", ctx.channel(), cause.toString());
        ctx.close();
    }

    /**
     * Stands for a line that was too long in {@link #waiting}, told apart by identity: a
     * line read is always another string object.
     */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String TOO_LONG = new String("(line too long)");
}
