package dev.jslirp.nat.icmp;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.IcmpError;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.HostAddressMapper;
import dev.jslirp.nat.IcmpErrors;
import dev.jslirp.nat.IcmpEcho;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.flow.FlowTable;
import dev.jslirp.nat.flow.IdleList;
import dev.jslirp.nat.flow.IdleTimer;
import dev.jslirp.nat.linux.ErrnoException;
import dev.jslirp.nat.linux.ErrorQueue;
import dev.jslirp.nat.linux.IcmpSockets;
import dev.jslirp.nat.linux.NativeSockets;
import dev.jslirp.nat.linux.SocketError;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ICMP half of the NAT: the guest's echo requests (ping) to other hosts sent from host ICMP
 * sockets, and the replies passed back with the guest's identifier, so that {@code ping}
 * in the guest shows the real host's answers and round-trip times, as with libslirp.
 *
 * <h2>Theory of operation</h2>
 * <p><b>What it takes.</b> The core answers echo requests to the network's own addresses
 * itself and offers every other ICMP message to the services; this half takes echo requests
 * (ICMP type 8, ICMPv6 type 128) to unicast addresses and leaves the rest to the core, which
 * drops and counts it. Destinations the address rules refuse ({@link HostAddressMapper}:
 * {@code restrict=on}, the host's loopback, other addresses of the virtual network) get ICMP
 * communication administratively prohibited from the gateway, as the UDP NAT answers them.
 *
 * <p><b>Sessions.</b> Requests are grouped by guest address and echo identifier (one ping
 * process): an {@link EchoSession} per pair, whatever hosts its requests go to. Its host side
 * is a ping socket of its own ({@link PingTransport}; the kernel gives it an identifier and
 * returns only replies carrying it) or an identifier of its own on the family's raw socket
 * ({@link RawTransport}); either way a reply is found by identifier and goes to the guest
 * with the guest's identifier, the host's sequence number and data as they came, from the
 * address that answered. Sessions are bounded ({@code maxIcmpSessions}; the least recently
 * used is closed to make room) and closed after {@code icmpIdleTimeout} without a request or
 * reply, like UDP flows ({@link IdleList}, {@link IdleTimer}).
 *
 * <p><b>Which sockets.</b> Decided per family at start-up ({@link EchoAvailability},
 * {@code --icmp-echo}): unprivileged ping sockets where {@code net.ipv4.ping_group_range}
 * includes jslirp's group, else raw sockets where jslirp has {@code CAP_NET_RAW}, else none:
 * the guest's requests are dropped and counted ({@link IcmpCounter#DROPPED_NOT_PERMITTED})
 * and the start-up log says, in one line, which sysctl would allow them. The sockets are
 * Netty epoll channels around descriptors JNA opens, on the network's event loop (no thread
 * per ping); on the NIO transport there are none (the JDK has no ICMP sockets), requests are
 * counted as {@link IcmpCounter#DROPPED_UNSUPPORTED} and the log says so.
 *
 * <p><b>Errors.</b> The guest's TTL (hop limit) less one goes out with its requests, as a
 * router's would. An ICMP error about a request (host or network unreachable, prohibited,
 * time exceeded) reaches the guest quoting that request, so its {@code ping} says
 * "Destination Host Unreachable" and {@code traceroute -I} shows the hops: a ping socket
 * hears of them through its error queue ({@code IP_RECVERR}), the raw socket reads them
 * like replies and matches the request they quote.
 *
 * <p><b>Floods.</b> At most {@code icmpEchoRate} requests per second leave (a token bucket;
 * the rest is dropped and counted), at most {@code maxIcmpSessions} sockets or identifiers are
 * held, and each socket's queue of requests not yet sent is bounded by its write buffer
 * (a request that finds it full is dropped and counted). Requests in flight hold nothing of
 * jslirp's: a reply is matched by its identifier alone.
 *
 * <p>Everything runs on the network's event loop.
 */
public final class IcmpNat {
    private static final Logger LOG = LoggerFactory.getLogger(IcmpNat.class);
    /** ICMPv6 echo request (RFC 4443 section 4.1). */
    static final int TYPE6_ECHO_REQUEST = 128;
    /** ICMPv6 echo reply (RFC 4443 section 4.2). */
    static final int TYPE6_ECHO_REPLY = 129;

    private final NatConfig config;
    /** The kind of sockets to use whatever the host allows (tests), or null to probe. */
    private final IcmpSockets.Kind forcedKind;
    private final SocketOpener opener;
    private final FlowTable<EchoSession> sessions = new FlowTable<>();
    private final IdleList<EchoSession> byUse = new IdleList<>();
    private GuestContext ctx;
    private NetworkConfig net;
    private HostAddressMapper mapper;
    private Counters<IcmpCounter> counters;
    private IdleTimer idle;
    private EchoRate rate;
    private EchoAvailability available4;
    private EchoAvailability available6;
    private EchoTransport transport4;
    private EchoTransport transport6;
    private ErrorQueue errorQueue;
    private boolean stopped;

    /** The ICMP NAT configured by {@code config}. */
    public IcmpNat(NatConfig config) {
        this(config, null, (t, kind, handler) -> t.register(IcmpSockets.open(t.ipv6, kind), handler));
    }

    /**
     * The seam for tests that script the host side: sockets of {@code kind} for both
     * families, whatever the host allows, opened by {@code opener} (the fuzz target's are
     * embedded channels, so no real socket is opened).
     */
    IcmpNat(NatConfig config, IcmpSockets.Kind kind, SocketOpener opener) {
        this.config = config;
        this.forcedKind = kind;
        this.opener = opener;
    }

    /** Opens a transport's host socket of a kind and registers it with its handler. */
    @FunctionalInterface
    interface SocketOpener {
        /** The socket, registered on the network's loop with {@code handler}. */
        Channel open(EchoTransport transport, IcmpSockets.Kind kind, ChannelHandler handler) throws ErrnoException;
    }

    /** Opens a host socket of {@code kind} for {@code transport} with {@code handler}. */
    Channel openSocket(EchoTransport transport, IcmpSockets.Kind kind, ChannelHandler handler) throws ErrnoException {
        return opener.open(transport, kind, handler);
    }

    /** Starts: decides each family's sockets (opening and closing one or two) and logs it in one line. */
    public void start(GuestContext context, HostAddressMapper addressMapper) {
        this.ctx = context;
        this.net = context.config();
        this.mapper = addressMapper;
        this.counters = context.stats().service("nat.icmp", IcmpCounter.class);
        this.idle = new IdleTimer(context, config.icmpIdleTimeout().toNanos());
        idle.watch(byUse, s -> close(s, IcmpCounter.SESSIONS_IDLE_CLOSED));
        this.rate = new EchoRate(config.icmpEchoRate(), context.nanoTime());
        available4 = availability(false);
        available6 = availability(true);
        transport4 = transport(available4, false);
        transport6 = transport(available6, true);
        if (transport4 != null || transport6 != null) {
            errorQueue = new ErrorQueue();
        }
        log();
    }

    private EchoAvailability availability(boolean ipv6) {
        if (!(ipv6 ? net.ipv6() : net.ipv4())) {
            return EchoAvailability.off(IcmpCounter.DROPPED_UNSUPPORTED, "the network does not serve this family");
        }
        if (forcedKind != null) {
            return new EchoAvailability(forcedKind, null, null);
        }
        if (config.icmpEcho() == IcmpEcho.OFF) {
            return EchoAvailability.off(IcmpCounter.DROPPED_OFF, "--icmp-echo off");
        }
        if (!NativeSockets.isEpollLoop(ctx.eventLoop())) {
            return EchoAvailability.off(IcmpCounter.DROPPED_UNSUPPORTED, "ICMP sockets need Linux's native epoll "
                    + "transport and JNA, and the network runs on " + ctx.hostChannels()
                    + " (the JDK has no ICMP sockets)");
        }
        return EchoAvailability.probe(config.icmpEcho(), ipv6);
    }

    private EchoTransport transport(EchoAvailability a, boolean ipv6) {
        if (!a.isOn()) {
            return null;
        }
        return a.kind() == IcmpSockets.Kind.PING ? new PingTransport(this, ctx, ipv6) : new RawTransport(this, ctx, ipv6);
    }

    /**
     * What carries the family's echo requests to other hosts ("unprivileged ICMP sockets",
     * "a raw ICMP socket"), or "off: " and why, as the start-up log says it.
     */
    public String description(boolean ipv6) {
        EchoTransport t = ipv6 ? transport6 : transport4;
        return t != null ? t.description() : "off: " + (ipv6 ? available6 : available4).why();
    }

    /**
     * The one start-up line: what carries echo to other hosts, or why nothing does; a warning
     * naming the sysctl that would allow it when the host refused the sockets.
     */
    private void log() {
        String d4 = net.ipv4() ? description(false) : null;
        String d6 = net.ipv6() ? description(true) : null;
        String what = d4 != null && d4.equals(d6) ? "IPv4 and IPv6 " + through(d4)
                : d6 == null ? "IPv4 " + through(d4)
                : d4 == null ? "IPv6 " + through(d6)
                : "IPv4 " + through(d4) + "; IPv6 " + through(d6);
        if (available4.reason() == IcmpCounter.DROPPED_NOT_PERMITTED
                || available6.reason() == IcmpCounter.DROPPED_NOT_PERMITTED) {
            LOG.warn("ICMP echo to other hosts: {}; the guest's pings to other hosts go unanswered (allow jslirp's "
                    + "group with: sysctl -w {}='0 2147483647')", what, EchoAvailability.SYSCTL);
        } else {
            LOG.info("ICMP echo to other hosts: {}", what);
        }
    }

    private static String through(String description) {
        return description.startsWith("off") ? description : "through " + description;
    }

    /**
     * Takes an ICMP or ICMPv6 message from the guest the core offered (not to one of the
     * network's own addresses): true for an echo request to a unicast address (sent, or
     * dropped and counted), false for the rest. The packet stays the caller's.
     */
    public boolean handle(GuestPacket packet) {
        if (stopped || ctx == null) {
            return false;
        }
        boolean v6 = packet.isIpv6();
        if (packet.protocol() != (v6 ? GuestPacket.PROTO_ICMPV6 : GuestPacket.PROTO_ICMP)) {
            // ICMP in IPv6 or ICMPv6 in IPv4: an unknown protocol there, which the core offers
            // without parsing it, so its ICMP view is not this packet's.
            return false;
        }
        IcmpPacket icmp = packet.icmp();
        if (icmp.type() != (v6 ? TYPE6_ECHO_REQUEST : IcmpPacket.TYPE_ECHO_REQUEST) || isMulticast(packet)) {
            return false;
        }
        long now = packet.nanoTime();
        EchoTransport transport = v6 ? transport6 : transport4;
        if (transport == null) {
            counters.increment((v6 ? available6 : available4).reason());
            return true;
        }
        if (icmp.code() != 0) {
            counters.increment(IcmpCounter.DROPPED_BAD_CODE);
            return true;
        }
        IpAddress dst = packet.destination();
        InetSocketAddress target = mapper.hostTarget(packet.protocol(), dst, 0, packet.port().isRestricted());
        if (target == null || !net.inNetwork(packet.sourceHi(), packet.sourceLo())) {
            counters.increment(IcmpCounter.REFUSED_DESTINATION);
            ctx.sendIcmpError(packet, net.hostAddress(v6), IcmpError.ADMIN_PROHIBITED);
            return true;
        }
        if (!rate.take(now)) {
            counters.increment(IcmpCounter.DROPPED_RATE_LIMIT);
            return true;
        }
        int id = icmp.identifier();
        EchoSession session = sessions.get(packet.sourceHi(), packet.sourceLo(), id, 0, 0, 0);
        if (session == null) {
            session = open(packet, transport, id, now);
            if (session == null) {
                return true;
            }
        } else {
            byUse.touch(session, now);
        }
        session.quote.record(packet);
        transport.send(session, packet, target);
        return true;
    }

    private static boolean isMulticast(GuestPacket p) {
        if (p.isIpv6()) {
            return (p.destinationHi() >>> 56) == 0xff;
        }
        int dst = p.ipv4().destination();
        return Ipv4Address.isMulticast(dst) || dst == Ipv4Address.BROADCAST;
    }

    private EchoSession open(GuestPacket packet, EchoTransport transport, int id, long now) {
        if (byUse.size() >= config.maxIcmpSessions()) {
            close(byUse.oldest(), IcmpCounter.SESSIONS_EVICTED);
        }
        EchoSession session = new EchoSession(packet.source(), id, transport);
        if (!transport.open(session)) {
            counters.increment(IcmpCounter.DROPPED_SOCKET_FAILED);
            return null;
        }
        sessions.put(session.guest.hi(), session.guest.lo(), id, 0, 0, 0, session);
        byUse.add(session, now);
        idle.arm(now);
        counters.increment(IcmpCounter.SESSIONS_OPENED);
        return session;
    }

    // ---------------------------------------------------------------- from the transports

    /**
     * An echo reply for {@code session} from {@code sender}: {@code icmp}'s readable bytes are
     * the ICMP message. To the guest with the guest's identifier; takes ownership of {@code icmp}.
     */
    void reply(EchoSession session, ByteBuf icmp, InetAddress sender) {
        try {
            boolean v6 = session.guest.isIpv6();
            int len = icmp.readableBytes();
            if (session.closed || len < IcmpPacket.HEADER_LENGTH
                    || icmp.getUnsignedByte(icmp.readerIndex()) != (v6 ? TYPE6_ECHO_REPLY : IcmpPacket.TYPE_ECHO_REPLY)) {
                counters.increment(IcmpCounter.REPLIES_UNMATCHED);
                return;
            }
            IpAddress from = mapper.guestSideSource(sender, v6);
            if (from == null) {
                counters.increment(IcmpCounter.REPLIES_UNMATCHED);
                return;
            }
            GuestPort port = ctx.portOf(session.guest);
            if (port == null || !port.isWritable()) {
                counters.increment(port != null ? IcmpCounter.DROPPED_GUEST_BUSY : IcmpCounter.DROPPED_GUEST_DETACHED);
                return;
            }
            byUse.touch(session, ctx.nanoTime());
            ByteBuf frame = ctx.newFrame(len);
            int off = frame.writerIndex();
            frame.writeBytes(icmp, icmp.readerIndex(), len);
            frame.setShort(off + 4, session.guestId);
            counters.increment(IcmpCounter.ECHO_REPLIES_TO_GUEST);
            // The core writes the checksum (ICMPv6's with the pseudo-header) and fragments a large reply.
            ctx.send(frame, from, session.guest, v6 ? GuestPacket.PROTO_ICMPV6 : GuestPacket.PROTO_ICMP, 0);
        } finally {
            icmp.release();
        }
    }

    /**
     * An ICMP or ICMPv6 error ({@code type}, {@code code}) from {@code offender} about request
     * {@code seq} of {@code session}: to the guest as the error a router passes on, quoting the
     * request (the guest's identifier, that sequence number): time exceeded from the router
     * that sent it, so {@code traceroute -I} shows the hops; the others from the gateway.
     */
    void hostError(EchoSession session, int type, int code, InetAddress offender, int seq) {
        boolean v6 = session.guest.isIpv6();
        IcmpError error = IcmpErrors.of(v6, type, code);
        if (session.closed || error == null || error == IcmpError.PORT_UNREACHABLE) {
            counters.increment(IcmpCounter.HOST_ERRORS_NOT_PASSED);
            return;
        }
        IpAddress from = error == IcmpError.TTL_EXCEEDED && offender != null ? mapper.guestSideSource(offender, v6)
                : null;
        byUse.touch(session, ctx.nanoTime());
        counters.increment(IcmpCounter.ICMP_ERRORS_TO_GUEST);
        // Offset 6 of an echo request: its sequence number (RFC 792, RFC 4443 section 4.1).
        session.quote.sendError(ctx, from != null ? from : net.hostAddress(v6), session.guest, error, 6, seq);
    }

    /**
     * A read or send of a session's ping socket failed: how the socket says its error queue
     * has entries (each quotes the request from its ICMP header on), else a failed send.
     */
    void pingSocketError(EchoSession session, Throwable cause) {
        int fd = NativeSockets.fd(session.channel);
        int read = fd >= 0 && errorQueue != null ? errorQueue.drain(fd, e -> queuedError(session, e)) : 0;
        if (read <= 0) {
            sendFailed(session, cause);
        }
    }

    private void queuedError(EchoSession session, SocketError e) {
        byte[] echo = e.payload();
        boolean icmp = e.origin() == SocketError.ORIGIN_ICMP || e.origin() == SocketError.ORIGIN_ICMP6;
        if (!icmp || echo.length < IcmpPacket.HEADER_LENGTH) {
            counters.increment(IcmpCounter.HOST_ERRORS_NOT_PASSED);
            return;
        }
        hostError(session, e.icmpType(), e.icmpCode(), e.offender(), ((echo[6] & 0xff) << 8) | (echo[7] & 0xff));
    }

    /** A send failed (the void promise's report); {@code session} is null for a shared socket. */
    void sendFailed(EchoSession session, Throwable cause) {
        counters.increment(IcmpCounter.HOST_SEND_ERROR);
        LOG.debug("echo session {}: send failed", session, cause);
    }

    /** A session's own socket closed without the NAT asking: the session ends. */
    void socketClosed(EchoSession session) {
        if (!session.closed) {
            close(session, IcmpCounter.SESSIONS_CLOSED_ADMIN);
        }
    }

    /** The NAT's configuration. */
    NatConfig config() {
        return config;
    }

    Counters<IcmpCounter> counters() {
        return counters;
    }

    // ---------------------------------------------------------------- lifetime

    private void close(EchoSession session, IcmpCounter reason) {
        if (session.closed) {
            return;
        }
        session.closed = true;
        sessions.remove(session.guest.hi(), session.guest.lo(), session.guestId, 0, 0, 0);
        byUse.remove(session);
        counters.increment(reason);
        session.transport.close(session);
    }

    /** Echo sessions open; call on the event loop. */
    public int sessionCount() {
        return byUse.size();
    }

    /** The guest went away: its sessions end. */
    public void guestDetached() {
        if (ctx == null) {
            return;
        }
        EchoSession s;
        while ((s = byUse.oldest()) != null) {
            close(s, IcmpCounter.SESSIONS_CLOSED_ADMIN);
        }
        idle.cancel();
    }

    /** Closes every session and socket. */
    public void stop() {
        if (stopped || ctx == null) {
            return;
        }
        guestDetached();
        stopped = true;
        for (EchoTransport t : new EchoTransport[] {transport4, transport6}) {
            if (t != null) {
                t.stop();
            }
        }
    }
}
