package dev.jslirp.nat.tcp;

import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.IcmpError;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.TcpOptions;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.HostErrors;
import dev.jslirp.nat.HostTarget;
import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;

/**
 * The handshakes: a guest SYN becomes a host connect (to the {@link HostTarget} the address
 * rules give: a TCP address, a guest forward's unix socket or command), and only the
 * connect's outcome answers the guest (SYN-ACK on success, RST when refused or timed out,
 * ICMP unreachable when the host found no way there), so the guest sees the host's real
 * answer, as with a direct connection; and a port forward's host
 * client becomes a SYN to the guest. Like gVisor's {@code tcp.Forwarder}, the number
 * of handshakes in progress is capped ({@code maxHalfOpen}).
 *
 * <p>Decisions:
 * <ul>
 *   <li>A guest SYN that finds the half-open bound reached evicts the half-open flow
 *       that has waited longest (its guest gets the RST a refused connect would give,
 *       its host connect is cancelled) and is served. Dropping new SYNs instead, as a
 *       listener with a full SYN queue does, let a flood of connects to a black hole
 *       (each hanging for the whole connect timeout) lock every later connection out
 *       for minutes. A connect that is going to succeed does so in a round trip, so the
 *       oldest pending ones are the likeliest to be stuck; a legitimate connect loses
 *       only to a flood of more than {@code maxHalfOpen} SYNs within its own round trip.
 *       SYNs beyond {@code maxTcpFlows} end the oldest TIME_WAIT flow or, failing that,
 *       get a RST: waiting would not help soon.</li>
 *   <li>Every failed host connect (refused, unreachable, timed out) answers the guest
 *       with RST|ACK. libslirp answers unreachable hosts with ICMP instead, but that
 *       needs the guest's SYN kept until the connect fails; a RST gives the guest's
 *       application an immediate error all the same (ECONNREFUSED rather than
 *       EHOSTUNREACH).</li>
 *   <li>Retransmitted guest SYNs during the connect are absorbed; a RST from the guest
 *       cancels the connect.</li>
 *   <li>The SYN-ACK is retransmitted on the RTO ({@value #MAX_SYN_ACK_RETRIES} times,
 *       Linux's tcp_synack_retries), a forward's SYN {@value #MAX_SYN_RETRIES} times
 *       (tcp_syn_retries); then the connection is given up.</li>
 *   <li>A forward's connection comes from the host client's own address and port
 *       where {@link dev.jslirp.nat.HostAddressMapper#forwardSource} allows it and no
 *       other flow to the same guest endpoint uses that address and port (a tuple is one
 *       connection to the guest, whichever side opened it); else from the gateway address
 *       and a port from the dynamic range (RFC 6335 section 6: 49152-65535) not used by
 *       another flow to the same guest endpoint.</li>
 * </ul>
 */
final class TcpConnector {
    static final int MAX_SYN_ACK_RETRIES = 5;
    static final int MAX_SYN_RETRIES = 6;
    private static final int FIRST_DYNAMIC_PORT = 49152;
    private static final int DYNAMIC_PORTS = 65536 - FIRST_DYNAMIC_PORT;

    private final TcpStack stack;
    private int nextForwardPort;

    TcpConnector(TcpStack stack) {
        this.stack = stack;
        this.nextForwardPort = (int) (System.nanoTime() % DYNAMIC_PORTS);
    }

    /** A segment matching no flow: a SYN may open one; anything else but a RST gets a RST. */
    void noFlow(GuestPacket p, long now) {
        int flags = p.tcp().flags();
        if ((flags & TcpPacket.RST) != 0) {
            stack.counters.increment(TcpCounter.UNKNOWN_FLOW_RST);
            return;
        }
        if ((flags & (TcpPacket.SYN | TcpPacket.ACK)) != TcpPacket.SYN) {
            stack.counters.increment(TcpCounter.UNKNOWN_FLOW);
            stack.writer.replyRst(p);
            return;
        }
        guestSyn(p, now);
    }

    private void guestSyn(GuestPacket p, long now) {
        TcpPacket t = p.tcp();
        if (stack.halfOpen() >= stack.config.maxHalfOpen()) {
            stack.evictOldestHalfOpen(now);
        }
        if (stack.table.isFull() && !stack.recycleTimeWait(now)) {
            stack.counters.increment(TcpCounter.FLOW_LIMIT);
            stack.writer.replyRst(p);
            return;
        }
        IpAddress dst = p.destination();
        HostTarget target = stack.mapper.tcpTarget(dst, t.destinationPort(), p.port().isRestricted());
        if (target == null) {
            stack.counters.increment(TcpCounter.REFUSED_BY_RULES);
            stack.writer.replyRst(p);
            return;
        }
        TcpFlow f = new TcpFlow(stack, p.source(), t.sourcePort(), dst, t.destinationPort(), false,
                TcpState.CONNECTING, now);
        f.port = p.port();
        f.negotiated.negotiate(p.tcpOptions());
        f.rcv.init(t.seq());
        f.snd.init(stack.newIss());
        f.schedule.stateDeadline = now + stack.connectTimeout;
        // Only a TCP address can be unreachable in ICMP's sense; unix sockets and commands fail otherwise.
        f.pendingConnect = new PendingConnect(target instanceof HostTarget.Inet i ? i.address() : null, p);
        stack.add(f);
        stack.counters.increment(TcpCounter.CONNECTS);
        stack.hosts.connect(f, target);
        f.afterEvent(now);
    }

    /** A guest segment while the host connect runs. */
    void whileConnecting(TcpFlow f, GuestPacket p, long now) {
        TcpPacket t = p.tcp();
        int flags = t.flags();
        if ((flags & TcpPacket.RST) != 0) {
            if (t.seq() == f.rcv.rcvNxt) {
                stack.counters.increment(TcpCounter.RST_FROM_GUEST);
                f.abort(now, false);
            }
            return;
        }
        if ((flags & TcpPacket.SYN) != 0 && t.seq() == f.rcv.irs) {
            stack.counters.increment(TcpCounter.SYN_ABSORBED);
            return;
        }
        // Nothing was sent to the guest yet: it has no business sending anything else.
        stack.counters.increment(TcpCounter.OUT_OF_WINDOW);
    }

    /** The host connect succeeded: answer the guest's SYN. */
    void hostConnected(TcpFlow f, long now) {
        if (f.state() != TcpState.CONNECTING) {
            return;
        }
        // The connect began one connect timeout before its deadline.
        stack.hostConnectLatency.record(now - (f.schedule.stateDeadline - stack.connectTimeout));
        f.schedule.stateDeadline = FlowSchedule.NONE;
        f.pendingConnect = null;
        f.setState(TcpState.SYN_RECEIVED, "host connected");
        f.snd.sendSyn(TcpPacket.SYN | TcpPacket.ACK, now);
    }

    /** The host connect failed: ICMP unreachable if the host found no way there, else refuse the guest's SYN. */
    void hostConnectFailed(TcpFlow f, Throwable cause, long now) {
        PendingConnect pending = f.pendingConnect;
        f.pendingConnect = null;
        IcmpError error = pending == null || pending.target == null ? null
                : HostErrors.unreachable(cause, pending.target);
        if (error == IcmpError.NET_UNREACHABLE || error == IcmpError.HOST_UNREACHABLE
                || error == IcmpError.ADMIN_PROHIBITED) {
            stack.counters.increment(error == IcmpError.NET_UNREACHABLE
                    ? TcpCounter.HOST_NET_UNREACHABLE : TcpCounter.HOST_UNREACHABLE);
            if (stack.ctx.isGuestAttached()) {
                pending.syn.sendError(stack.ctx, stack.ctx.config().hostAddress(f.guest.isIpv6()), f.guest, error);
            }
            f.abort(now, false);
            return;
        }
        stack.counters.increment(cause instanceof ConnectException && !(cause instanceof ConnectTimeoutException)
                ? TcpCounter.HOST_REFUSED : TcpCounter.HOST_CONNECT_FAILED);
        f.abort(now, true);
    }

    /** The host connect took longer than tcpConnectTimeout. */
    void connectTimedOut(TcpFlow f, long now) {
        stack.counters.increment(TcpCounter.HOST_CONNECT_TIMEOUT);
        f.abort(now, true);
    }

    /** The RTO expired in SYN_RECEIVED or SYN_SENT: send the SYN again or give up. */
    void synTimeout(TcpFlow f, long now) {
        boolean forward = f.state() == TcpState.SYN_SENT;
        if (++f.snd.retransmits > (forward ? MAX_SYN_RETRIES : MAX_SYN_ACK_RETRIES)) {
            stack.counters.increment(forward ? TcpCounter.FORWARD_TIMEOUT : TcpCounter.RETRANSMIT_GIVE_UP);
            f.abort(now, !forward);
            return;
        }
        stack.counters.increment(TcpCounter.SYN_RETRANSMITTED);
        f.snd.rto.backoff();
        f.snd.sendSyn(forward ? TcpPacket.SYN : TcpPacket.SYN | TcpPacket.ACK, now);
    }

    /** The guest acknowledged our SYN-ACK (RFC 9293 3.10.7.4, fifth, SYN-RECEIVED). */
    void established(TcpFlow f, int seq, int ack, int window, TcpOptions o, long now) {
        f.snd.synAcked(seq, ack, window, o, now);
        f.setState(TcpState.ESTABLISHED, "guest ACKed our SYN-ACK");
        stack.counters.increment(TcpCounter.ESTABLISHED);
        f.handshakeDone();      // the caller processes the ACK next, which sends
    }

    // ---------------------------------------------------------------- port forwards

    /**
     * Creates the flow for a host client accepted on a forwarded port, towards
     * {@code guest:guestPort}, appearing to come from {@code client:clientPort} (the
     * client's own address, see {@link dev.jslirp.nat.HostAddressMapper#forwardSource})
     * if that tuple is free, else from the gateway of the guest's family and a port of
     * the dynamic range. The caller attaches the host socket, then calls
     * {@link #sendForwardSyn}.
     *
     * @param client the client's address as the guest may see it, or null for the gateway
     * @return the flow, or null if a bound (half-open, flows, free ports) refuses it
     */
    TcpFlow openToGuest(IpAddress guest, int guestPort, IpAddress client, int clientPort, long now) {
        if (stack.halfOpen() >= stack.config.maxHalfOpen()
                || (stack.table.isFull() && !stack.recycleTimeWait(now))) {
            stack.counters.increment(TcpCounter.FORWARD_LIMIT);
            return null;
        }
        if (client != null) {
            if (stack.table.get(guest.hi(), guest.lo(), guestPort, client.hi(), client.lo(), clientPort) == null) {
                return newForwardFlow(guest, guestPort, client, clientPort, now);
            }
            stack.counters.increment(TcpCounter.FORWARD_CLIENT_TUPLE_BUSY);
        }
        IpAddress from = stack.ctx.config().hostAddress(guest.isIpv6());
        int port = -1;
        for (int i = 0; i < DYNAMIC_PORTS; i++) {
            int candidate = FIRST_DYNAMIC_PORT + nextForwardPort;
            nextForwardPort = (nextForwardPort + 1) % DYNAMIC_PORTS;
            if (stack.table.get(guest.hi(), guest.lo(), guestPort, from.hi(), from.lo(), candidate) == null) {
                port = candidate;
                break;
            }
        }
        if (port < 0) {
            stack.counters.increment(TcpCounter.FORWARD_LIMIT);
            return null;
        }
        return newForwardFlow(guest, guestPort, from, port, now);
    }

    private TcpFlow newForwardFlow(IpAddress guest, int guestPort, IpAddress from, int fromPort, long now) {
        TcpFlow f = new TcpFlow(stack, guest, guestPort, from, fromPort, true, TcpState.SYN_SENT, now);
        f.port = stack.ctx.portOf(guest);
        f.snd.init(stack.newIss());
        stack.add(f);
        stack.counters.increment(TcpCounter.FORWARD_ACCEPTED);
        return f;
    }

    /** Sends a forward's first SYN. */
    void sendForwardSyn(TcpFlow f, long now) {
        f.snd.sendSyn(TcpPacket.SYN, now);
        f.afterEvent(now);
    }

    /** The guest's answer to a forward's SYN (RFC 9293 3.10.7.3). */
    void inSynSent(TcpFlow f, GuestPacket p, long now) {
        TcpPacket t = p.tcp();
        int flags = t.flags();
        boolean hasAck = (flags & TcpPacket.ACK) != 0;
        if (hasAck && t.ack() != f.snd.iss + 1) {
            stack.counters.increment(TcpCounter.BAD_ACK);
            if ((flags & TcpPacket.RST) == 0) {
                stack.writer.sendRst(f.remote, f.remotePort, f.guest, f.guestPort, t.ack(), 0, TcpPacket.RST);
            }
            return;
        }
        if ((flags & TcpPacket.RST) != 0) {
            if (hasAck) {
                // The guest refused: reset the host client as a refused connect would.
                stack.counters.increment(TcpCounter.FORWARD_REFUSED);
                f.abort(now, false);
            }
            return;
        }
        if ((flags & TcpPacket.SYN) == 0 || !hasAck) {
            // A bare ACK, or a simultaneous open (SYN without ACK), which a forward does
            // not need: drop, our SYN is retransmitted.
            stack.counters.increment(TcpCounter.BAD_FLAGS);
            return;
        }
        f.negotiated.negotiate(p.tcpOptions());
        f.rcv.init(t.seq());
        // The window of a SYN segment is never scaled (RFC 7323 section 2.2).
        f.snd.synAcked(t.seq(), t.ack(), t.window(), p.tcpOptions(), now);
        f.schedule.lastActivity = now;
        f.setState(TcpState.ESTABLISHED, "guest accepted the forward");
        stack.counters.increment(TcpCounter.ESTABLISHED);
        f.handshakeDone();
        f.sendAck(now);
        f.snd.output(now);      // what the host client sent while the guest answered
    }
}
