package dev.jslirp.dns;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * The DNS server at the network's DNS addresses (10.0.2.3, fec0::3 and fe80::3 by
 * default), port 53, forwarding to upstreams of either family.
 *
 * <h2>Theory of operation</h2>
 * <p>UDP queries from the guest to a DNS address of either family (10.0.2.3, fec0::3,
 * fe80::3; {@link NetworkConfig#isDns}) arrive through {@link #handle}. Only the header and the
 * single question are parsed ({@link DnsMessageView}, bounded against compression
 * loops, long labels and names, truncation). Then, in this order
 * ({@link LocalAnswers}):
 * <ul>
 *   <li>less than a header, a response, or no usable source: dropped and counted;</li>
 *   <li>a bad question: FORMERR; another opcode than QUERY: NOTIMP;</li>
 *   <li>a local name ({@link DnsConfig#hostName()} for the host addresses,
 *       {@link DnsConfig#records()}), or a guest's name from its DHCP lease and its
 *       address's reverse name ({@link GuestNames}): answered here, case-insensitively,
 *       A and AAAA from the name's records (PTR for a guest's reverse name); other types
 *       get an empty NOERROR (NODATA);</li>
 *   <li>with {@code restrict=on}: REFUSED, nothing leaves the host;</li>
 *   <li>else forwarded to the upstreams ({@link UdpForwarder}), whose answer goes back
 *       to the guest byte for byte but for the ID.</li>
 * </ul>
 * Guests retry truncated answers over TCP: {@link DnsTcpServer} listens on the host's
 * loopback and registers itself for the DNS address's TCP port 53, where the NAT
 * sends the guest's connections; it answers the same way and forwards over TCP.
 *
 * <p>The upstreams are {@link DnsConfig#upstreams()} or, if none, the host's
 * resolv.conf, which the constructor reads: build the service off the event loop
 * ({@link Upstreams}).
 *
 * <p>Everything runs on the network's event loop; counters are the {@code "dns"} set
 * ({@link DnsCounter}).
 */
public final class DnsService implements GuestService {
    /**
     * The longest query kept for forwarding, in bytes: far above any real query (a
     * question is at most 260 bytes, EDNS options and padding to 128-byte blocks add a
     * few hundred, RFC 8467), so the queries in flight hold a bounded amount of memory.
     */
    static final int MAX_QUERY_LENGTH = 4096;

    private final DnsConfig config;
    private final GuestNames guests;
    private final Upstreams upstreams;
    private final DnsMessageView query = new DnsMessageView();
    private GuestContext context;
    private NetworkConfig net;
    private Counters<DnsCounter> counters;
    private LocalAnswers local;
    private GuestDatagrams toGuest;
    private UdpForwarder udp;
    private DnsTcpServer tcp;

    /**
     * A DNS service configured by {@code config}. Reads resolv.conf if {@code config}
     * names no upstream, so call it off the event loop.
     */
    public DnsService(DnsConfig config) {
        this(config, null);
    }

    /**
     * A DNS service that also answers the guests' names from their DHCP leases
     * ({@code guests}, which the DHCP server fills; null for none). Reads resolv.conf if
     * {@code config} names no upstream, so call it off the event loop.
     */
    public DnsService(DnsConfig config, GuestNames guests) {
        this.guests = guests;
        this.config = Objects.requireNonNull(config, "config");
        this.upstreams = new Upstreams(config);
    }

    @Override
    public void start(GuestContext context) {
        this.context = context;
        this.net = context.config();
        this.counters = context.stats().service("dns", DnsCounter.class);
        upstreams.countIn(counters);
        this.local = new LocalAnswers(new LocalNames(config, context.config()), guests, context::nanoTime,
                context.config().restrict(), counters);
        this.toGuest = new GuestDatagrams(context);
        this.udp = new UdpForwarder(context, config, upstreams, toGuest, counters);
        this.tcp = new DnsTcpServer(context, config, upstreams, local, counters);
        tcp.start();
    }

    /**
     * Takes UDP datagrams to the DNS address, port 53. The packet stays the caller's;
     * a forwarded query is copied.
     */
    @Override
    public boolean handle(GuestPacket packet) {
        if (packet.protocol() != GuestPacket.PROTO_UDP
                || !net.isDns(packet.destinationHi(), packet.destinationLo())
                || packet.udp().destinationPort() != GuestDatagrams.DNS_PORT) {
            return false;
        }
        counters.increment(DnsCounter.QUERIES);
        UdpPacket udpHeader = packet.udp();
        int guestPort = udpHeader.sourcePort();
        DnsMessageView.Problem problem = query.wrap(packet.buffer(), udpHeader.payloadOffset(),
                udpHeader.payloadLength());
        IpAddress guest = packet.source();
        if (guest.isUnspecified() || guestPort == 0
                || problem == DnsMessageView.Problem.TRUNCATED_HEADER || query.isResponse()) {
            // No address to answer to, or nothing to answer: a reply could only feed a loop.
            counters.increment(DnsCounter.MALFORMED_DROPPED);
            return true;
        }
        if (problem == null && query.length() > MAX_QUERY_LENGTH) {
            problem = DnsMessageView.Problem.TOO_LONG;
        }
        ReplyTo replyTo = new ReplyTo(packet.destination(), guest, guestPort);
        if (local.decide(query, problem)) {
            ByteBuf frame = toGuest.newFrame(local.replyLength(query));
            local.writeReply(frame, query);
            toGuest.send(frame, replyTo);
        } else {
            udp.forward(query, replyTo);
        }
        return true;
    }

    /**
     * A guest is gone: once none is left, queries in flight are forgotten; while others
     * remain, an answer for the leaving guest finds no port and is dropped (the query
     * table is bounded and times out either way).
     */
    @Override
    public void guestDetached(GuestPort port) {
        if (udp != null && !context.isGuestAttached()) {
            udp.clear();
        }
    }

    /** Closes the upstream sockets, the TCP listener and its connections; releases every query. */
    @Override
    public void stop() {
        if (udp != null) {
            udp.stop();
            tcp.stop();
        }
    }

    /** UDP queries in flight (for tests). */
    int udpInFlight() {
        return udp.inFlight();
    }
}
