package dev.jslirp.dns;

import dev.jslirp.core.buffer.MemoryBudget;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.stats.LatencyHistogram;
import dev.jslirp.core.wire.IpAddress;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards the guest's UDP queries to the upstream resolvers and relays their answers.
 *
 * <h2>Theory of operation</h2>
 * <p>Each forwarded query is copied once, its ID replaced by a fresh random one that
 * no other query in flight uses ({@link QueryIds}); so queries of different guest
 * sockets, or retransmissions, whose IDs collide never mix up. The copy is kept while
 * the query is in flight, to be sent again to the next upstream.
 *
 * <p>Upstreams are asked one after the other, in order: each gets
 * {@link DnsConfig#upstreamTimeout()}; a send error, or a SERVFAIL, REFUSED or NOTIMP
 * answer while another upstream is left, moves on at once (as glibc's
 * {@code res_send} does). When the last one fails the guest gets a SERVFAIL. A late
 * answer from an upstream asked earlier for the same query is still taken.
 *
 * <p>An answer is accepted only if its ID belongs to a query in flight, it comes from
 * an address and port that query was sent to, and its question equals the query's,
 * case-insensitively (RFC 5452 section 9.1); anything else is counted and ignored.
 * An accepted answer is relayed to the guest byte for byte with the guest's ID put
 * back: it is never decoded and re-encoded, so every record type, EDNS option and the
 * TC bit pass unchanged (a truncated answer makes the guest retry over TCP).
 *
 * <h2>Host sockets</h2>
 * <p>At most four unconnected UDP sockets on the network's event loop, opened on first
 * use, one per family and scope of upstream: bound to 127.0.0.1 for IPv4 loopback
 * upstreams (such as systemd-resolved's 127.0.0.53), to ::1 for IPv6 loopback ones, to
 * 0.0.0.0 and to :: for the others, each on an ephemeral port (an IPv6 socket bound to
 * an IPv4 address can only reach IPv4, hence one per family). A host without IPv6 fails
 * to open the IPv6 ones, which counts as that upstream failing: the query moves on. They
 * read into buffers of 64 KiB, so no answer is ever cut.
 *
 * <h2>Bounds</h2>
 * <p>At most {@link DnsConfig#maxInFlight()} queries in flight, each holding one copy
 * of a query of at most {@link DnsService#MAX_QUERY_LENGTH} bytes and one timer;
 * beyond it the guest gets a SERVFAIL at once.
 */
final class UdpForwarder {
    private static final Logger LOG = LoggerFactory.getLogger(UdpForwarder.class);
    /** Receive buffer size: the largest UDP payload fits (RFC 768 length field, 65535 - 8). */
    private static final int RECEIVE_BUFFER = 65536;
    /** 127.0.0.1 with an ephemeral port, where host sockets towards loopback peers bind. */
    static final InetSocketAddress LOOPBACK_EPHEMERAL = new InetSocketAddress(IpAddress.V4_LOOPBACK.toInetAddress(), 0);
    /** Where the sockets bind, by {@link #socketIndex}: IPv4 loopback, IPv4 wildcard, IPv6 loopback, IPv6 wildcard. */
    private static final InetSocketAddress[] LOCAL_ADDRESSES = {
        LOOPBACK_EPHEMERAL,
        new InetSocketAddress(IpAddress.V4_ANY.toInetAddress(), 0),
        new InetSocketAddress(IpAddress.V6_LOOPBACK.toInetAddress(), 0),
        new InetSocketAddress(IpAddress.V6_ANY.toInetAddress(), 0),
    };

    private final GuestContext context;
    private final Upstreams upstreams;
    private final GuestDatagrams toGuest;
    private final Counters<DnsCounter> counters;
    /** Query forwarded to answer relayed, over every upstream asked: the wait for a name the guest sees. */
    private final LatencyHistogram upstreamLatency;
    private final int maxInFlight;
    private final long timeoutNanos;
    private final IntObjectHashMap<Pending> inFlight = new IntObjectHashMap<>();
    /** The copies of the queries in flight, charged to the network's memory budget. */
    private final MemoryBudget.Account memory;
    private final QueryIds ids = new QueryIds();
    private final DnsMessageView answerView = new DnsMessageView();
    private final DnsMessageView queryView = new DnsMessageView();
    /** The host sockets by {@link #socketIndex}, null until first used. */
    private final ChannelFuture[] sockets = new ChannelFuture[LOCAL_ADDRESSES.length];
    private boolean stopped;

    /** One query in flight. */
    private static final class Pending {
        final int upstreamId;
        final int guestId;
        final ReplyTo replyTo;
        /** The query as sent upstream (ID = upstreamId); owned until the query ends. */
        final ByteBuf query;
        final List<InetSocketAddress> upstreams;
        /** Index of the upstream being asked. */
        int attempt;
        ScheduledFuture<?> timer;
        /** When the query was first sent upstream, on the network's clock. */
        long sentAt;

        Pending(int upstreamId, int guestId, ReplyTo replyTo, ByteBuf query, List<InetSocketAddress> upstreams) {
            this.upstreamId = upstreamId;
            this.guestId = guestId;
            this.replyTo = replyTo;
            this.query = query;
            this.upstreams = upstreams;
        }
    }

    UdpForwarder(GuestContext context, DnsConfig config, Upstreams upstreams, GuestDatagrams toGuest,
                 Counters<DnsCounter> counters) {
        this.context = context;
        this.upstreams = upstreams;
        this.toGuest = toGuest;
        this.counters = counters;
        this.upstreamLatency = context.stats().latency("dns.upstream");
        this.maxInFlight = config.maxInFlight();
        this.timeoutNanos = config.upstreamTimeout().toNanos();
        this.memory = context.memory().newAccount();
    }

    /**
     * Forwards the query {@code q} views (a parsed question, opcode QUERY) from
     * the guest endpoint of {@code replyTo}, or answers SERVFAIL if no upstream is known or too
     * many queries are in flight. The buffer {@code q} reads stays the caller's: the
     * query is copied.
     */
    void forward(DnsMessageView q, ReplyTo replyTo) {
        List<InetSocketAddress> list = upstreams.current(context.nanoTime());
        if (list.isEmpty()) {
            counters.increment(DnsCounter.NO_UPSTREAM);
            sendServfail(q, q.id(), replyTo);
            return;
        }
        if (inFlight.size() >= maxInFlight) {
            counters.increment(DnsCounter.IN_FLIGHT_LIMIT);
            sendServfail(q, q.id(), replyTo);
            return;
        }
        if (!memory.tryReserve(q.length())) {
            counters.increment(DnsCounter.MEMORY_LIMIT);
            sendServfail(q, q.id(), replyTo);
            return;
        }
        int id = ids.unusedId(inFlight);
        ByteBuf copy = context.alloc().directBuffer(q.length());
        copy.writeBytes(q.buffer(), q.offset(), q.length());
        DnsMessageView.setId(copy, 0, id);
        Pending p = new Pending(id, q.id(), replyTo, copy, list);
        p.sentAt = context.nanoTime();
        inFlight.put(id, p);
        counters.increment(DnsCounter.FORWARDED);
        send(p);
    }

    /** Queries in flight (for tests of the bound). */
    int inFlight() {
        return inFlight.size();
    }

    private void send(Pending p) {
        int attempt = p.attempt;
        InetSocketAddress upstream = p.upstreams.get(attempt);
        p.timer = context.eventLoop().schedule(() -> onTimeout(p, attempt), timeoutNanos, TimeUnit.NANOSECONDS);
        ChannelFuture socket = socketFor(upstream);
        if (socket.isDone()) {
            write(p, attempt, socket, upstream);
        } else {
            socket.addListener(f -> write(p, attempt, socket, upstream));
        }
    }

    private void write(Pending p, int attempt, ChannelFuture socket, InetSocketAddress upstream) {
        if (!isCurrent(p, attempt)) {
            return;
        }
        if (!socket.isSuccess()) {
            onSendFailure(p, attempt, upstream, socket.cause());
            return;
        }
        // The packet holds its own reference; the copy stays for the next upstream.
        socket.channel().writeAndFlush(new DatagramPacket(p.query.retainedDuplicate(), upstream))
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        onSendFailure(p, attempt, upstream, f.cause());
                    }
                });
    }

    private boolean isCurrent(Pending p, int attempt) {
        return !stopped && p.attempt == attempt && inFlight.get(p.upstreamId) == p;
    }

    private void onTimeout(Pending p, int attempt) {
        if (isCurrent(p, attempt)) {
            counters.increment(DnsCounter.UPSTREAM_TIMEOUTS);
            askNext(p);
        }
    }

    private void onSendFailure(Pending p, int attempt, InetSocketAddress upstream, Throwable cause) {
        if (isCurrent(p, attempt)) {
            counters.increment(DnsCounter.UPSTREAM_ERRORS);
            LOG.debug("DNS query to {} failed: {}", upstream, String.valueOf(cause));
            askNext(p);
        }
    }

    /** Moves {@code p} to its next upstream, or ends it with a SERVFAIL after the last. */
    private void askNext(Pending p) {
        p.timer.cancel(false);
        p.attempt++;
        if (p.attempt < p.upstreams.size()) {
            send(p);
            return;
        }
        end(p);
        try {
            queryView.wrap(p.query, 0, p.query.writerIndex());
            sendServfail(queryView, p.guestId, p.replyTo);
        } finally {
            discard(p);
        }
    }

    /** Releases {@code p}'s copy of the query and gives its bytes back to the budget. */
    private void discard(Pending p) {
        memory.release(p.query.capacity());
        p.query.release();
    }

    /** Removes {@code p} from the table and stops its timer; the caller releases its query ({@link #discard}). */
    private void end(Pending p) {
        inFlight.remove(p.upstreamId);
        p.timer.cancel(false);
    }

    private void sendServfail(DnsMessageView q, int id, ReplyTo replyTo) {
        counters.increment(DnsCounter.SERVFAIL_SENT);
        ByteBuf frame = toGuest.newFrame(LocalAnswers.errorLength(q));
        LocalAnswers.writeError(frame, q, id, DnsMessageView.RCODE_SERVFAIL);
        toGuest.send(frame, replyTo);
    }

    /**
     * Takes one datagram from an upstream socket. {@code message} stays the caller's.
     */
    void onAnswer(ByteBuf message, InetSocketAddress sender) {
        int off = message.readerIndex();
        int len = message.readableBytes();
        DnsMessageView.Problem problem = answerView.wrap(message, off, len);
        if (problem == DnsMessageView.Problem.TRUNCATED_HEADER || !answerView.isResponse()) {
            counters.increment(DnsCounter.MALFORMED_ANSWERS);
            return;
        }
        Pending p = inFlight.get(answerView.id());
        if (p == null || problem != null || !wasAsked(p, sender)
                || queryView.wrap(p.query, 0, p.query.writerIndex()) != null || !answerView.sameQuestion(queryView)) {
            counters.increment(DnsCounter.UNMATCHED_ANSWERS);
            return;
        }
        if (Upstreams.asksNextUpstream(answerView.rcode()) && p.attempt + 1 < p.upstreams.size()) {
            // Only the upstream being asked moves the query on; a late error from an
            // earlier one must not cut the current one short.
            if (sender.equals(p.upstreams.get(p.attempt))) {
                counters.increment(DnsCounter.UPSTREAM_ERRORS);
                askNext(p);
            }
            return;
        }
        end(p);
        discard(p);
        ByteBuf frame = toGuest.newFrame(len);
        int messageOffset = frame.writerIndex();
        frame.writeBytes(message, off, len);
        DnsMessageView.setId(frame, messageOffset, p.guestId);
        counters.increment(DnsCounter.ANSWERS_RELAYED);
        upstreamLatency.record(context.nanoTime() - p.sentAt);
        toGuest.send(frame, p.replyTo);
    }

    private static boolean wasAsked(Pending p, InetSocketAddress sender) {
        for (int i = 0; i <= p.attempt && i < p.upstreams.size(); i++) {
            if (p.upstreams.get(i).equals(sender)) {
                return true;
            }
        }
        return false;
    }

    private ChannelFuture socketFor(InetSocketAddress upstream) {
        int i = socketIndex(upstream);
        ChannelFuture socket = sockets[i];
        if (socket == null || (socket.isDone() && !socket.channel().isOpen())) {
            socket = open(LOCAL_ADDRESSES[i]);
            sockets[i] = socket;
        }
        return socket;
    }

    /** Which of {@link #LOCAL_ADDRESSES} a socket towards {@code upstream} binds to. */
    private static int socketIndex(InetSocketAddress upstream) {
        return (upstream.getAddress() instanceof Inet6Address ? 2 : 0)
                + (upstream.getAddress().isLoopbackAddress() ? 0 : 1);
    }

    private ChannelFuture open(InetSocketAddress local) {
        return new Bootstrap()
                .group(context.eventLoop())
                .channelFactory(context.hostChannels().udp())
                .option(ChannelOption.ALLOCATOR, context.alloc())
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(RECEIVE_BUFFER))
                .handler(new AnswerReader())
                .bind(local)
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        LOG.warn("cannot open a UDP socket on {} for upstream DNS: {}", local, String.valueOf(f.cause()));
                    }
                });
    }

    /** Hands upstream datagrams to {@link #onAnswer}; the datagram is released after. */
    private final class AnswerReader extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            onAnswer(packet.content(), packet.sender());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("upstream DNS socket error: {}", String.valueOf(cause));
        }
    }

    /** Forgets every query in flight without answering (the guest is gone). */
    void clear() {
        for (Pending p : new ArrayList<>(inFlight.values())) {
            end(p);
            discard(p);
        }
    }

    /** Forgets every query and closes the sockets. */
    void stop() {
        clear();
        stopped = true;
        for (ChannelFuture socket : sockets) {
            if (socket != null && socket.channel().isRegistered()) {   // one that failed to register is closed already
                socket.channel().close();
            }
        }
    }
}
