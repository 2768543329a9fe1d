package dev.jslirp.testkit;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.wire.ArpPacket;
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

/**
 * A scripted guest on a jslirp network: a port of its switch that speaks as a small IPv4
 * host would. {@link #lease()} gets an address by DHCP; {@link #tcp} and {@link #udp} open
 * endpoints through the NAT (to the host's loopback at the gateway address, 10.0.2.2 by
 * default); {@link #nextFrame()} and {@link #sendFrame} work with raw frames, decoded as
 * {@link Frame} records. Every buffer stays inside: frames from the network are copied and
 * released as they arrive.
 *
 * <p>How it runs: frames from the network are decoded on the event loop into a queue; the
 * test's thread takes them whenever it waits for something (a DHCP reply, data, an ACK) and
 * hands each to its endpoint, answering ARP requests for the guest's address on the way.
 * Frames no endpoint claims wait for {@link #nextFrame()}. Use a guest from one thread.
 *
 * <p>IPv4 only for now (the network's IPv6 frames decode, and can be sent raw).
 */
public final class Guest {
    /** Ephemeral ports, as Linux's default {@code ip_local_port_range} starts (IANA's range is 49152+). */
    private static final int FIRST_PORT = 32768;
    private static final int ARP_RETRY_MILLIS = 200;

    private final JslirpNetwork network;
    private final GuestPort port;
    private final Runnable settle;
    private final String frozenReason;
    private final FrameWriter writer;
    private final LinkedBlockingQueue<Frame> inbox = new LinkedBlockingQueue<>();
    private final ArrayDeque<Frame> unclaimed = new ArrayDeque<>();
    private final Map<Integer, TcpConnection> tcp = new HashMap<>();
    private final Map<Integer, UdpSocket> udp = new HashMap<>();
    private final Map<Integer, Long> neighbours = new HashMap<>();
    private Duration timeout;
    private int nextPort = FIRST_PORT;
    private int address;
    private int gateway;
    private int mask;
    private DhcpExchange dhcp;
    private DhcpExchange.Reply dhcpReply;

    Guest(JslirpNetwork network, long mac, ByteBufAllocator alloc, Runnable settle, String frozenReason,
          Duration timeout) {
        this.network = network;
        this.settle = settle;
        this.frozenReason = frozenReason;
        this.timeout = timeout;
        this.writer = new FrameWriter(alloc, mac);
        this.port = network.attach(new Inbox());
    }

    /** The guest's MAC address, as {@code 52:54:00:12:34:56}. */
    public String mac() {
        return MacAddress.toString(writer.mac());
    }

    /** The address from {@link #lease()}, or null before. */
    public String address() {
        return address == 0 ? null : Ipv4Address.toString(address);
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
     * Gets an address by DHCP (DISCOVER, OFFER, REQUEST, ACK; RFC 2131, 3.1) and takes it,
     * with the router and netmask the server gave.
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
            address = ack.yourAddress();
            gateway = ack.router() != 0 ? ack.router() : ack.server();
            mask = ack.mask();
            return address();
        } finally {
            dhcp = null;
        }
    }

    private void sendDhcp(byte[] message) {
        send(writer.udp(MacAddress.BROADCAST, Ipv4Address.ANY, DhcpExchange.CLIENT_PORT, Ipv4Address.BROADCAST,
                DhcpExchange.SERVER_PORT, message));
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
     * Opens a TCP connection from the guest to {@code host:port} (an IPv4 address; the
     * gateway, 10.0.2.2 by default, is the host's 127.0.0.1) and waits for it to be
     * established.
     *
     * @throws GuestException if the network answered with RST (nothing listens on the host
     *         side) or did not answer
     * @throws IllegalStateException before {@link #lease()}, or on a frozen-clock network
     */
    public TcpConnection tcp(String host, int port) {
        int dst = destination(host, "tcp(" + host + ", " + port + ")");
        TcpConnection c = new TcpConnection(this, dst, port, allocatePort(tcp));
        tcp.put(c.localPort(), c);
        c.connect();
        return c;
    }

    /**
     * A UDP socket of the guest that sends to {@code host:port} (the gateway is the host's
     * 127.0.0.1) and receives what comes back to its port.
     *
     * @throws IllegalStateException before {@link #lease()}, or on a frozen-clock network
     */
    public UdpSocket udp(String host, int port) {
        int dst = destination(host, "udp(" + host + ", " + port + ")");
        UdpSocket s = new UdpSocket(this, dst, port, allocatePort(udp));
        udp.put(s.localPort(), s);
        return s;
    }

    private int destination(String host, String call) {
        if (frozenReason != null) {
            throw new IllegalStateException(call + ": " + frozenReason);
        }
        if (address == 0) {
            throw new IllegalStateException(call + ": the guest has no address yet; call lease() first");
        }
        return Ipv4Address.parse(host);
    }

    private int allocatePort(Map<Integer, ?> inUse) {
        while (inUse.containsKey(nextPort)) {
            nextPort++;
        }
        return nextPort++;
    }

    /**
     * The next frame from the network that no endpoint of this guest took (ARP, DHCP, TCP
     * and UDP of its endpoints are taken), waiting up to the {@link #timeout}.
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

    /** The leased address as an int (0 before {@link #lease()}). */
    int ipv4() {
        return address;
    }

    /**
     * The MAC to send to {@code dst}: its own (ARP) on the guest's subnet, the router's
     * otherwise; resolved once, as a host's neighbour cache would.
     */
    long nextHop(int dst) {
        int hop = mask != 0 && (dst & mask) == (address & mask) ? dst : gateway;
        Long known = neighbours.get(hop);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (known == null) {
            send(writer.arp(ArpPacket.OP_REQUEST, MacAddress.BROADCAST, address, 0, hop));
            pumpUntil(() -> neighbours.containsKey(hop), Duration.ofMillis(ARP_RETRY_MILLIS));
            known = neighbours.get(hop);
            if (known == null && System.nanoTime() - deadline > 0) {
                throw new GuestException("no ARP reply from " + Ipv4Address.toString(hop) + " within " + timeout);
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
        Frame.Packet p = f.packet();
        if (p instanceof Frame.Arp arp) {
            int sender = Ipv4Address.parse(arp.senderIp());
            neighbours.put(sender, MacAddress.parse(arp.senderMac()));
            if (arp.operation() == ArpPacket.OP_REQUEST && address != 0
                    && Ipv4Address.parse(arp.targetIp()) == address) {
                long asker = MacAddress.parse(arp.senderMac());
                send(writer.arp(ArpPacket.OP_REPLY, asker, address, asker, sender));
            }
            return;
        }
        if (p instanceof Frame.Udp u) {
            if (u.destinationPort() == DhcpExchange.CLIENT_PORT && dhcp != null) {
                DhcpExchange.Reply r = dhcp.read(u.payload());
                if (r != null) {
                    dhcpReply = r;
                    return;
                }
            }
            UdpSocket s = udp.get(u.destinationPort());
            if (s != null && address != 0 && Ipv4Address.parse(u.destination()) == address) {
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
