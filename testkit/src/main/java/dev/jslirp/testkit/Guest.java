package dev.jslirp.testkit;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A scripted guest on a jslirp network: a port of its switch that speaks as a small host
 * of both families would. {@link #lease()} gets an IPv4 address by DHCP;
 * {@link #autoconfigure6()} an IPv6 one by SLAAC from the network's router advertisement;
 * {@link #tcp} and {@link #udp} open endpoints of either family through the NAT (to the
 * host's loopback at the host address: 10.0.2.2 is 127.0.0.1, fec0::2 is ::1, by default);
 * {@link #nextFrame()} and {@link #sendFrame} work with raw frames, decoded as
 * {@link Frame} records. Every buffer stays inside: frames from the network are copied and
 * released as they arrive.
 *
 * <p>How it runs: frames from the network are decoded on the event loop into a queue; the
 * test's thread takes them whenever it waits for something (a DHCP reply, a router
 * advertisement, data, an ACK) and hands each to its endpoint, answering ARP requests and
 * neighbour solicitations for the guest's addresses on the way ({@link Addressing}).
 * Frames no endpoint claims wait for {@link #nextFrame()}. Use a guest from one thread.
 */
public final class Guest {
    /** Ephemeral ports, as Linux's default {@code ip_local_port_range} starts (IANA's range is 49152+). */
    private static final int FIRST_PORT = 32768;
    /** How long an ARP request or neighbour solicitation waits for its answer before the next. */
    private static final Duration RESOLVE_RETRY = Duration.ofMillis(200);
    /** RTR_SOLICITATION_INTERVAL (RFC 4861 section 10): between router solicitations. */
    private static final Duration SOLICITATION_INTERVAL = Duration.ofSeconds(4);
    /** How far a frozen clock moves at a time while the guest waits for a router advertisement. */
    private static final Duration FROZEN_STEP = Duration.ofMillis(100);

    private final JslirpNetwork network;
    private final GuestPort port;
    private final Runnable settle;
    private final Consumer<Duration> frozenAdvance;
    private final String frozenReason;
    private final FrameWriter writer;
    private final Addressing addressing;
    private final LinkedBlockingQueue<Frame> inbox = new LinkedBlockingQueue<>();
    private final ArrayDeque<Frame> unclaimed = new ArrayDeque<>();
    private final Map<Integer, TcpConnection> tcp = new HashMap<>();
    private final Map<Integer, UdpSocket> udp = new HashMap<>();
    private Duration timeout;
    private int nextPort = FIRST_PORT;
    private DhcpExchange dhcp;
    private DhcpExchange.Reply dhcpReply;

    /**
     * A guest on a real loop ({@code frozenAdvance} and {@code frozenReason} null), or on a
     * frozen one, whose clock {@code frozenAdvance} moves and which refuses endpoints with
     * {@code frozenReason}.
     */
    Guest(JslirpNetwork network, long mac, ByteBufAllocator alloc, Runnable settle, Consumer<Duration> frozenAdvance,
          String frozenReason, Duration timeout) {
        this.network = network;
        this.settle = settle;
        this.frozenAdvance = frozenAdvance;
        this.frozenReason = frozenReason;
        this.timeout = timeout;
        this.writer = new FrameWriter(alloc, mac);
        this.addressing = new Addressing(writer);
        this.port = network.attach(new Inbox());
    }

    /** The guest's MAC address, as {@code 52:54:00:12:34:56}. */
    public String mac() {
        return MacAddress.toString(writer.mac());
    }

    /** The IPv4 address from {@link #lease()}, or null before. */
    public String address() {
        return text(addressing.ipv4());
    }

    /** The IPv6 address from {@link #autoconfigure6()}, or null before. */
    public String address6() {
        return text(addressing.ipv6());
    }

    /** The guest's IPv6 link-local address (fe80:: and its modified EUI-64 interface identifier), which it always has. */
    public String linkLocalAddress() {
        return addressing.linkLocal().toString();
    }

    private static String text(IpAddress a) {
        return a == null ? null : a.toString();
    }

    /** The guest's port on the network's switch. */
    public GuestPort port() {
        return port;
    }

    /** How long each call waits for the network (default 5 s). */
    public Guest timeout(Duration t) {
        this.timeout = t;
        return this;
    }

    Duration timeout() {
        return timeout;
    }

    /**
     * Gets an IPv4 address by DHCP (DISCOVER, OFFER, REQUEST, ACK; RFC 2131, 3.1) and takes
     * it, with the router and netmask the server gave. IPv4 only: {@link #autoconfigure6()}
     * is IPv6's.
     *
     * @return the address, e.g. {@code "10.0.2.15"}
     * @throws GuestException if the server did not answer or refused
     */
    public String lease() {
        dhcp = new DhcpExchange(writer.mac(), 0x6a736c70 ^ (int) writer.mac());
        try {
            sendDhcp(dhcp.discover());
            DhcpExchange.Reply offer = awaitDhcp(DhcpExchange.OFFER, "an OFFER to our DISCOVER");
            sendDhcp(dhcp.request(offer.yourAddress(), offer.server()));
            DhcpExchange.Reply ack = awaitDhcp(DhcpExchange.ACK, "an ACK to our REQUEST");
            addressing.leased(ack.yourAddress(), ack.router() != 0 ? ack.router() : ack.server(), ack.mask());
            return address();
        } finally {
            dhcp = null;
        }
    }

    private void sendDhcp(byte[] message) {
        send(writer.udp(MacAddress.BROADCAST, IpAddress.V4_ANY, DhcpExchange.CLIENT_PORT,
                IpAddress.ipv4(Ipv4Address.BROADCAST), DhcpExchange.SERVER_PORT, message));
    }

    private DhcpExchange.Reply awaitDhcp(int type, String what) {
        dhcpReply = null;
        if (!pumpUntil(() -> dhcpReply != null && (dhcpReply.type() == type || dhcpReply.type() == DhcpExchange.NAK),
                timeout)) {
            throw new GuestException("no DHCP answer: expected " + what + " within " + timeout);
        }
        if (dhcpReply.type() == DhcpExchange.NAK) {
            throw new GuestException("the DHCP server refused (NAK) instead of " + what);
        }
        return dhcpReply;
    }

    /**
     * Gets an IPv6 address as a host does by stateless autoconfiguration (RFC 4862): a
     * router solicitation from its link-local address (again every 4 s, RFC 4861 section
     * 6.3.7), the network's router advertisement, and the address of the advertised prefix
     * (fec0::/64 by default) and the guest's modified EUI-64 interface identifier (RFC 4291
     * appendix A), e.g. {@code fec0::5054:ff:fe12:3456} for MAC 52:54:00:12:34:56. The
     * advertisement's router (fe80::2) becomes the default router, its MAC taken from the
     * advertisement; other neighbours, the host address fec0::2 among them, are resolved
     * by neighbour solicitation when first needed. No duplicate address detection is
     * waited for: the network claims only its own addresses, and each guest's MAC differs.
     *
     * <p>The network answers a solicitation after a random delay of up to 0.5 s (RFC 4861
     * section 6.2.6). On a frozen clock this call moves the clock, 100 ms at a time, until
     * the advertisement came (or the guest's timeout passed on that clock): the one call
     * of the kit that moves time by itself.
     *
     * @return the address, e.g. {@code "fec0::5054:ff:fe12:3456"}
     * @throws GuestException if no advertisement came within the guest's timeout (a network
     *         with {@code ipv6=off} sends none) or it offered no prefix for SLAAC
     */
    public String autoconfigure6() {
        addressing.forgetAdvertisement();
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration waited = Duration.ZERO;
        while (addressing.advertisement() == null) {
            Duration left = frozenAdvance != null ? timeout.minus(waited) : Duration.ofNanos(deadline - System.nanoTime());
            if (left.isNegative() || left.isZero()) {
                throw new GuestException("no router advertisement within " + timeout + " of our router solicitation"
                        + (network.guest().config().ipv6() ? "" : ": the network has ipv6=off"));
            }
            send(writer.routerSolicitation(addressing.linkLocal()));
            Duration wait = left.compareTo(SOLICITATION_INTERVAL) < 0 ? left : SOLICITATION_INTERVAL;
            waitOnNetworkClock(() -> addressing.advertisement() != null, wait);
            waited = waited.plus(wait);
        }
        NeighborDiscovery.Advertisement ra = addressing.advertisement();
        if (ra.prefix() == null) {
            throw new GuestException("the router advertisement from " + ra.router() + " offered no prefix for "
                    + "SLAAC (a /64 with the autonomous flag)");
        }
        return addressing.autoconfigured(ra).toString();
    }

    /**
     * {@link #pumpUntil} on a real loop; on a frozen one, pumps and moves the clock a step
     * at a time until {@code done} or the clock moved by {@code wait}.
     */
    private void waitOnNetworkClock(BooleanSupplier done, Duration wait) {
        if (frozenAdvance == null) {
            pumpUntil(done, wait);
            return;
        }
        for (Duration moved = Duration.ZERO; !pumpUntil(done, Duration.ZERO) && moved.compareTo(wait) < 0;
                moved = moved.plus(FROZEN_STEP)) {
            frozenAdvance.accept(FROZEN_STEP);
        }
    }

    /**
     * Opens a TCP connection from the guest to {@code host:port} and waits for it to be
     * established. {@code host} is an IPv4 address (after {@link #lease()}) or an IPv6 one,
     * bare or in brackets (after {@link #autoconfigure6()}); the host address, 10.0.2.2 or
     * fec0::2 by default, is the host's 127.0.0.1 or ::1.
     *
     * @throws GuestException if the network answered with RST (nothing listens on the host
     *         side) or did not answer
     * @throws IllegalStateException before the guest has an address of {@code host}'s
     *         family, or on a frozen-clock network
     * @throws IllegalArgumentException if {@code host} is no IP address
     */
    public TcpConnection tcp(String host, int port) {
        IpAddress dst = destination(host, "tcp(" + host + ", " + port + ")");
        TcpConnection c = new TcpConnection(this, dst, port, allocatePort(tcp));
        tcp.put(c.localPort(), c);
        c.connect();
        return c;
    }

    /**
     * A UDP socket of the guest that sends to {@code host:port} (either family, as for
     * {@link #tcp}) and receives what comes back to its port.
     *
     * @throws IllegalStateException before the guest has an address of {@code host}'s
     *         family, or on a frozen-clock network
     * @throws IllegalArgumentException if {@code host} is no IP address
     */
    public UdpSocket udp(String host, int port) {
        IpAddress dst = destination(host, "udp(" + host + ", " + port + ")");
        UdpSocket s = new UdpSocket(this, dst, port, allocatePort(udp));
        udp.put(s.localPort(), s);
        return s;
    }

    private IpAddress destination(String host, String call) {
        if (frozenReason != null) {
            throw new IllegalStateException(call + ": " + frozenReason);
        }
        IpAddress dst = IpAddress.parse(host);
        if (addressing.source(dst) == null) {
            throw new IllegalStateException(call + ": the guest has no " + (dst.isIpv4()
                    ? "IPv4 address yet; call lease() first" : "IPv6 address yet; call autoconfigure6() first"));
        }
        return dst;
    }

    private int allocatePort(Map<Integer, ?> inUse) {
        while (inUse.containsKey(nextPort)) {
            nextPort++;
        }
        return nextPort++;
    }

    /**
     * The next frame from the network that no endpoint of this guest took (ARP, neighbour
     * discovery for the guest, router advertisements, DHCP, and TCP and UDP of its
     * endpoints are taken), waiting up to the {@link #timeout}.
     *
     * @throws AssertionError if none came
     */
    public Frame nextFrame() {
        if (!pumpUntil(() -> !unclaimed.isEmpty(), timeout)) {
            throw new AssertionError("expected a frame to the guest within " + timeout + ", got none");
        }
        return unclaimed.poll();
    }

    /** Fails if a frame no endpoint took comes within {@code wait}. */
    public void expectNoFrame(Duration wait) {
        pumpUntil(() -> !unclaimed.isEmpty(), wait);
        if (!unclaimed.isEmpty()) {
            throw new AssertionError("expected no frame to the guest, got " + unclaimed.peek());
        }
    }

    /** Sends {@code frame} (a whole Ethernet frame, as a guest's NIC would) to the network. */
    public void sendFrame(byte[] frame) {
        ByteBuf b = writer.alloc().buffer(frame.length);
        send(b.writeBytes(frame));
    }

    // --- for the endpoints ---

    /** Hands a frame the guest built to the network, which releases it. */
    void send(ByteBuf frame) {
        network.receiveFromGuest(port, frame);
        settle.run();
    }

    FrameWriter writer() {
        return writer;
    }

    /** The guest's address to send to {@code dst} from. */
    IpAddress source(IpAddress dst) {
        return addressing.source(dst);
    }

    /**
     * The MAC to send to {@code dst}: its own on the link, the router's otherwise; resolved
     * by ARP or neighbour solicitation once, as a host's neighbour cache would.
     */
    long nextHop(IpAddress dst) {
        IpAddress hop = addressing.nextHop(dst);
        Long known = addressing.neighbour(hop);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (known == null) {
            send(addressing.resolve(hop));
            pumpUntil(() -> addressing.neighbour(hop) != null, RESOLVE_RETRY);
            known = addressing.neighbour(hop);
            if (known == null && System.nanoTime() - deadline > 0) {
                throw new GuestException("no " + (hop.isIpv4() ? "ARP reply" : "neighbour advertisement") + " from "
                        + hop + " within " + timeout);
            }
        }
        return known;
    }

    void forget(TcpConnection c) {
        tcp.remove(c.localPort(), c);
    }

    void forget(UdpSocket s) {
        udp.remove(s.localPort(), s);
    }

    /**
     * Takes frames from the network and hands them to their endpoints until {@code done}
     * or {@code wait} has passed; true if {@code done}. On a frozen clock it does not wait:
     * time moves only when the test moves it.
     */
    boolean pumpUntil(BooleanSupplier done, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            settle.run();
            Frame f;
            while ((f = inbox.poll()) != null) {
                dispatch(f);
            }
            if (done.getAsBoolean()) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (frozenReason != null || left <= 0) {
                return false;
            }
            try {
                f = inbox.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (f != null) {
                dispatch(f);
            }
        }
    }

    private void dispatch(Frame f) {
        if (addressing.take(f, this::send)) {
            return;
        }
        Frame.Packet p = f.packet();
        if (p instanceof Frame.Udp u) {
            if (u.destinationPort() == DhcpExchange.CLIENT_PORT && dhcp != null) {
                DhcpExchange.Reply r = dhcp.read(u.payload());
                if (r != null) {
                    dhcpReply = r;
                    return;
                }
            }
            UdpSocket s = udp.get(u.destinationPort());
            if (s != null && addressing.isMine(u.destination())) {
                s.received(u);
                return;
            }
        }
        if (p instanceof Frame.Tcp t) {
            TcpConnection c = tcp.get(t.destinationPort());
            if (c != null && c.owns(t)) {
                c.received(t);
                return;
            }
        }
        unclaimed.add(f);
    }

    /** Where the network's frames for this guest land: decoded, copied, released at once. */
    private final class Inbox implements FrameSink {
        private final FrameDecoder decoder = new FrameDecoder();

        @Override
        public void send(ByteBuf frame) {
            try {
                inbox.add(decoder.decode(frame));
            } finally {
                frame.release();
            }
        }

        @Override
        public void flush() {
            // Frames are queued as they come; nothing waits for a flush.
        }
    }
}
