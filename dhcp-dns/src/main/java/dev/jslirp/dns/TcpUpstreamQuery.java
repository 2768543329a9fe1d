package dev.jslirp.dns;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guest query forwarded over TCP (RFC 7766): a fresh connection to each upstream
 * in turn, the query written with its 2-byte length (RFC 1035 section 4.2.2), the
 * first matching answer taken. Each upstream gets {@link DnsConfig#upstreamTimeout()}
 * for connecting and answering; a refused or dropped connection, or a SERVFAIL,
 * REFUSED or NOTIMP answer while another upstream is left, moves on at once. After
 * the last failure the result is a SERVFAIL made here.
 *
 * <p>The connection is the query's own, so the guest's ID is kept; an answer must
 * still carry that ID and the same question, or it is ignored and counted.
 */
final class TcpUpstreamQuery {
    private static final Logger LOG = LoggerFactory.getLogger(TcpUpstreamQuery.class);

    private final DnsTcpServer server;
    private final List<InetSocketAddress> upstreams;
    private final ByteBuf query;
    private final Consumer<ByteBuf> done;
    private int attempt = -1;
    private boolean finished;
    private Channel channel;
    private ScheduledFuture<?> timer;

    /**
     * @param query the guest's query, without length prefix; owned by this object
     *              from now on
     * @param done  receives the answer to send back (an upstream's, or a SERVFAIL),
     *              which it then owns; never called after {@link #cancel}
     */
    TcpUpstreamQuery(DnsTcpServer server, List<InetSocketAddress> upstreams, ByteBuf query, Consumer<ByteBuf> done) {
        this.server = server;
        this.upstreams = upstreams;
        this.query = query;
        this.done = done;
    }

    /** Asks the first upstream. */
    void start() {
        askNext();
    }

    /** Stops without calling back (the guest's connection closed); releases everything. */
    void cancel() {
        if (!finished) {
            finished = true;
            closeAttempt();
            query.release();
        }
    }

    private void askNext() {
        closeAttempt();
        attempt++;
        if (attempt == upstreams.size()) {
            finish(servfail());
            return;
        }
        int a = attempt;
        InetSocketAddress upstream = upstreams.get(a);
        timer = server.context().eventLoop().schedule(() -> {
            if (isCurrent(a)) {
                server.counters().increment(DnsCounter.UPSTREAM_TIMEOUTS);
                askNext();
            }
        }, server.timeoutNanos(), TimeUnit.NANOSECONDS);
        ChannelFuture connect = new Bootstrap()
                .group(server.context().eventLoop())
                .channelFactory(server.context().hostChannels().tcp())
                .option(ChannelOption.ALLOCATOR, server.context().alloc())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) TimeUnit.NANOSECONDS.toMillis(server.timeoutNanos()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(DnsTcpServer.newFrameDecoder(), new AnswerReader(a, upstream));
                    }
                })
                .connect(upstream);
        channel = connect.channel();
        connect.addListener(f -> {
            if (!isCurrent(a)) {
                return;
            }
            if (!f.isSuccess()) {
                failed(upstream, f.cause());
                return;
            }
            ByteBuf prefix = connect.channel().alloc().buffer(2).writeShort(query.readableBytes());
            connect.channel().write(prefix);
            connect.channel().writeAndFlush(query.retainedDuplicate());
        });
    }

    private boolean isCurrent(int a) {
        return !finished && attempt == a;
    }

    private void failed(InetSocketAddress upstream, Throwable cause) {
        server.counters().increment(DnsCounter.UPSTREAM_ERRORS);
        LOG.debug("DNS over TCP to {} failed: {}", upstream, String.valueOf(cause));
        askNext();
    }

    private void closeAttempt() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    private void finish(ByteBuf answer) {
        finished = true;
        closeAttempt();
        query.release();
        done.accept(answer);
    }

    /** A SERVFAIL for the query; the caller owns it. */
    private ByteBuf servfail() {
        server.counters().increment(DnsCounter.SERVFAIL_SENT);
        DnsMessageView q = server.queryView();
        q.wrap(query, query.readerIndex(), query.readableBytes());
        ByteBuf out = server.context().alloc().buffer(LocalAnswers.errorLength(q));
        LocalAnswers.writeError(out, q, q.id(), DnsMessageView.RCODE_SERVFAIL);
        return out;
    }

    private void onAnswer(int a, InetSocketAddress upstream, ByteBuf message) {
        DnsMessageView answer = server.answerView();
        DnsMessageView.Problem problem = answer.wrap(message, message.readerIndex(), message.readableBytes());
        if (problem == DnsMessageView.Problem.TRUNCATED_HEADER || !answer.isResponse()) {
            server.counters().increment(DnsCounter.MALFORMED_ANSWERS);
            failed(upstream, null);
            return;
        }
        DnsMessageView q = server.queryView();
        q.wrap(query, query.readerIndex(), query.readableBytes());
        if (problem != null || answer.id() != q.id() || !answer.sameQuestion(q)) {
            server.counters().increment(DnsCounter.UNMATCHED_ANSWERS);
            return;
        }
        if (Upstreams.asksNextUpstream(answer.rcode()) && a + 1 < upstreams.size()) {
            failed(upstream, null);
            return;
        }
        server.counters().increment(DnsCounter.ANSWERS_RELAYED);
        finish(message.retain());
    }

    /** Reads the current attempt's connection; frames are released after. */
    private final class AnswerReader extends ChannelInboundHandlerAdapter {
        private final int attemptIndex;
        private final InetSocketAddress upstream;

        AnswerReader(int attemptIndex, InetSocketAddress upstream) {
            this.attemptIndex = attemptIndex;
            this.upstream = upstream;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf message = (ByteBuf) msg;
            try {
                if (isCurrent(attemptIndex)) {
                    onAnswer(attemptIndex, upstream, message);
                }
            } finally {
                message.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (isCurrent(attemptIndex)) {
                failed(upstream, null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (isCurrent(attemptIndex)) {
                failed(upstream, cause);
            }
            ctx.close();
        }
    }
}
