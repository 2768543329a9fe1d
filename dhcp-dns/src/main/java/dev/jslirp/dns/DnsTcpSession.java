package dev.jslirp.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guest DNS-over-TCP connection, after the frame decoder has stripped the length
 * prefixes: every message is a query, answered locally or forwarded with a
 * {@link TcpUpstreamQuery}.
 *
 * <p>Pipelining (RFC 7766 section 6.2.1.1): queries are handled as they arrive, and
 * answers are written back in the order of the queries, each with its length. RFC 7766
 * lets a server answer out of order, but in-order answers also serve clients that
 * wait for the first answer first. Each query holds a slot in a queue until its
 * answer is written; at {@value #MAX_PENDING} slots the connection stops reading, and a
 * query still arriving in the same read gets a SERVFAIL, so a connection never holds
 * more than that many upstream queries.
 *
 * <p>A message shorter than a DNS header, or marked as a response, closes the
 * connection: there is nothing to answer and the stream may be out of step. The idle
 * timeout closes a connection with no query pending (RFC 7766 section 6.2.3). A client
 * that half-closes (sends its queries, then its FIN, as {@code printf | nc} does) still
 * gets every answer it is owed; the connection closes after the last one is written
 * (RFC 1035 section 4.2.2: the server delays closing its end "until all outstanding
 * client requests have been satisfied").
 */
final class DnsTcpSession extends ChannelInboundHandlerAdapter {
    /** Queries in progress on one connection, at most. */
    static final int MAX_PENDING = 16;
    private static final Logger LOG = LoggerFactory.getLogger(DnsTcpSession.class);

    private final DnsTcpServer server;
    private final long idleNanos;
    private final DnsMessageView view = new DnsMessageView();
    private final ArrayDeque<Slot> slots = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> idleTimer;
    private long lastActivity;
    private boolean closed;
    /** The client half-closed: no more queries will come. */
    private boolean inputEnded;

    /** One query's place in the answer order. */
    private static final class Slot {
        /** The answer without length prefix once known; owned by the slot until written. */
        ByteBuf answer;
        TcpUpstreamQuery upstream;
    }

    DnsTcpSession(DnsTcpServer server, long idleNanos) {
        this.server = server;
        this.idleNanos = idleNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.lastActivity = server.context().nanoTime();
        scheduleIdleCheck(idleNanos);
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleTimer = ctx.executor().schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Closes the connection once it has been silent for the idle timeout with nothing pending. */
    private void checkIdle() {
        if (closed) {
            return;
        }
        long silent = server.context().nanoTime() - lastActivity;
        if (silent >= idleNanos && slots.isEmpty()) {
            server.counters().increment(DnsCounter.TCP_IDLE_CLOSED);
            close();
        } else {
            scheduleIdleCheck(Math.max(idleNanos - silent, idleNanos / 4));
        }
    }

    /** Takes one DNS message (length prefix stripped) and releases it. */
    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        ByteBuf message = (ByteBuf) msg;
        lastActivity = server.context().nanoTime();
        try {
            if (!closed) {
                onQuery(message);
            }
        } finally {
            message.release();
        }
    }

    private void onQuery(ByteBuf message) {
        server.counters().increment(DnsCounter.TCP_QUERIES);
        DnsMessageView.Problem problem = view.wrap(message, message.readerIndex(), message.readableBytes());
        if (problem == DnsMessageView.Problem.TRUNCATED_HEADER || view.isResponse()) {
            server.counters().increment(DnsCounter.MALFORMED_DROPPED);
            close();
            return;
        }
        if (problem == null && message.readableBytes() > DnsService.MAX_QUERY_LENGTH) {
            problem = DnsMessageView.Problem.TOO_LONG;
        }
        Slot slot = new Slot();
        slots.add(slot);
        if (slots.size() >= MAX_PENDING) {
            ctx.channel().config().setAutoRead(false);
        }
        LocalAnswers local = server.local();
        if (local.decide(view, problem)) {
            slot.answer = ctx.alloc().buffer(local.replyLength(view));
            local.writeReply(slot.answer, view);
        } else if (slots.size() > MAX_PENDING) {
            server.counters().increment(DnsCounter.TCP_PIPELINE_LIMIT);
            slot.answer = servfail();
        } else {
            List<InetSocketAddress> list = server.upstreams().current(server.context().nanoTime());
            if (list.isEmpty()) {
                server.counters().increment(DnsCounter.NO_UPSTREAM);
                slot.answer = servfail();
            } else {
                server.counters().increment(DnsCounter.FORWARDED);
                // A copy, not a slice: a slice would pin the decoder's whole cumulation.
                ByteBuf query = ctx.alloc().buffer(message.readableBytes()).writeBytes(message, message.readerIndex(),
                        message.readableBytes());
                slot.upstream = new TcpUpstreamQuery(server, list, query, answer -> answered(slot, answer));
                slot.upstream.start();   // may answer at once; the view is not used after this
                return;
            }
        }
        writeReady();
    }

    private ByteBuf servfail() {
        server.counters().increment(DnsCounter.SERVFAIL_SENT);
        ByteBuf out = ctx.alloc().buffer(LocalAnswers.errorLength(view));
        LocalAnswers.writeError(out, view, view.id(), DnsMessageView.RCODE_SERVFAIL);
        return out;
    }

    /** A forwarded query's answer; takes ownership of {@code answer}. */
    private void answered(Slot slot, ByteBuf answer) {
        slot.upstream = null;
        if (closed) {
            answer.release();
            return;
        }
        slot.answer = answer;
        writeReady();
    }

    /** Writes the answers at the head of the queue that are known, each after its length. */
    private void writeReady() {
        boolean wrote = false;
        Slot head;
        while ((head = slots.peek()) != null && head.answer != null) {
            slots.poll();
            ByteBuf answer = head.answer;
            head.answer = null;
            ctx.write(ctx.alloc().buffer(2).writeShort(answer.readableBytes()));
            ctx.write(answer);
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
            lastActivity = server.context().nanoTime();
        }
        if (inputEnded && slots.isEmpty()) {
            closeAfterWrites();
            return;
        }
        if (slots.size() < MAX_PENDING && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /**
     * The client half-closed (delivered because the server sets ALLOW_HALF_CLOSURE): close
     * now if nothing is owed, else once the last pending answer is written.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputEnded = true;
            if (!closed && slots.isEmpty()) {
                closeAfterWrites();
            }
        }
        context.fireUserEventTriggered(evt);
    }

    /** Closes once the answers written so far have gone out. */
    private void closeAfterWrites() {
        closed = true;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        LOG.debug("DNS over TCP connection {} failed: {}", context.channel(), String.valueOf(cause));
        close();
    }

    private void close() {
        closed = true;
        ctx.close();
    }

    /** Releases every answer not written and stops the upstream queries. */
    @Override
    public void channelInactive(ChannelHandlerContext context) {
        closed = true;
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        for (Slot s : slots) {
            if (s.upstream != null) {
                s.upstream.cancel();
            }
            if (s.answer != null) {
                s.answer.release();
            }
        }
        slots.clear();
        context.fireChannelInactive();
    }
}
