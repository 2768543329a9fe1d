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
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One control connection, after the line decoder: each line is a command, answered in
 * order with its {@link ControlReply}. Runs on the network's event loop.
 *
 * <p>Bounds: a line longer than {@link ControlServer#MAX_LINE} bytes gets an
 * {@code ERROR} and is skipped up to its newline (the decoder fails fast and discards
 * it). A client that does not read its replies stops being read once the channel's
 * outbound buffer is past its high water mark, so unread replies cannot pile up. When
 * the client shuts its output down (end of a script), the replies still pending are
 * flushed before the connection closes.
 *
 * <p>Buffers: each line arrives as a buffer from the decoder, released here; replies
 * are new buffers that Netty releases once written.
 */
final class ControlSession extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ControlSession.class);

    private final ControlCommands commands;

    ControlSession(ControlCommands commands) {
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
            io.netty.util.ReferenceCountUtil.release(msg);
        }
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        reply(ctx, commands.execute(line));
    }

    private static void reply(ChannelHandlerContext ctx, ControlReply reply) {
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

    /** Reads pause while unread replies exceed the high water mark, and resume once they drained. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    /** The client is done sending: answer what is pending, then close. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (cause instanceof TooLongFrameException || c instanceof TooLongFrameException) {
            reply(ctx, ControlReply.error("line too long (at most " + ControlServer.MAX_LINE + " bytes)"));
            return;
        }
        LOG.debug("control connection {}: {}", ctx.channel(), cause.toString());
        ctx.close();
    }
}
