package dev.jslirp.dhcp;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The DHCPv4 server of the virtual network (RFC 2131, options RFC 2132), answering
 * the guest as QEMU's {@code -netdev user} does, with the lease handling a real
 * server has.
 *
 * <h2>Theory of operation</h2>
 * <p><b>What it takes.</b> UDP to port 67 sent to 255.255.255.255, to the network's
 * broadcast address or to the gateway ({@link NetworkConfig#host()}); anything else
 * passes to the next service. Each message is checked by a {@link DhcpPacket} view
 * over the frame (fixed header, cookie, every option length); a malformed one is
 * dropped and counted under its {@link DhcpCounter}, never answered.
 *
 * <p><b>What it answers</b> (RFC 2131 section 4.3), from the gateway address, port 67
 * to port 68:
 * <ul>
 *   <li>DISCOVER: an OFFER of the client's static address, else of the address
 *       {@link LeaseTable#choose chosen} for it, held for {@value #OFFER_HOLD_SECONDS} s;
 *       nothing if the pool is exhausted.</li>
 *   <li>REQUEST: ACK or NAK. SELECTING (server identifier present) asks for option 50;
 *       a server identifier not ours means the client took another offer: ours is
 *       withdrawn, no reply. INIT-REBOOT asks for option 50 without server identifier;
 *       RENEWING (unicast) and REBINDING (broadcast) for {@code ciaddr}. In each case
 *       the client gets the address if it is its own (static, bound or offered) or free
 *       in the pool, and a NAK otherwise.</li>
 *   <li>DECLINE: the address is quarantined for {@value #DECLINE_QUARANTINE_SECONDS} s;
 *       RELEASE frees the lease (the client is remembered and gets it back later if
 *       nobody took it). No reply to either.</li>
 *   <li>INFORM: an ACK with the configuration but no address or lease time (section
 *       4.3.5).</li>
 *   <li>A request without option 53 is a plain BOOTP client (RFC 951/1534): a
 *       BOOTREPLY with an address bound for good and the configuration options.</li>
 * </ul>
 *
 * <p><b>Where replies go</b> (section 4.1, giaddr being zero on this link): a NAK is
 * broadcast; else to {@code ciaddr} if the client put one (inside the network); else
 * broadcast if it set the BROADCAST flag; else unicast to {@code yiaddr} at
 * {@code chaddr}, which the server tells the core ({@link GuestContext#addNeighbor}) so
 * no ARP is needed for a client that cannot answer ARP yet.
 *
 * <p><b>Options</b>, in this order, each left out (and counted) if it does not fit the
 * client's maximum message size (option 57, read as the IP datagram size as busybox
 * sends it, at least 576, at most the MTU; 576 without it, 300 bytes of BOOTP for a
 * BOOTP client): 53 type, 54 server id, 61 client id echoed (RFC 6842), 51 lease,
 * 58 T1 (1/2) and 59 T2 (7/8, section 4.4.5), 1 mask, 3 router and 6 DNS (not with
 * {@code restrict=on}, as QEMU), 28 broadcast, 26 MTU, 12 host name, 15 domain name,
 * 66 TFTP server, 67 boot file (also in {@code file}), 119 search list (RFC 3397), and
 * 60 "HTTPClient" when the boot file is an http:// URL (UEFI HTTP boot, as QEMU).
 * NAK carries 53, 54, 61 and 56 with QEMU's text.
 *
 * <p><b>Leases and bounds.</b> The pool is {@link DhcpConfig#poolSize()} addresses
 * from {@code dhcpstart}, skipping the gateway, DNS, network and broadcast addresses
 * and static leases; {@link LeaseTable} has one entry per address, made up front, so
 * nothing the guest sends grows it. Time is the network clock and expiry is lazy.
 *
 * <h2>Differences from QEMU's libslirp (bootp.c)</h2>
 * <ul>
 *   <li>libslirp broadcasts every reply; this server addresses them per RFC 2131 4.1.</li>
 *   <li>libslirp answers only DISCOVER and REQUEST: it ignores RELEASE, DECLINE and
 *       INFORM and never expires or frees a lease; this server handles all of them.</li>
 *   <li>libslirp knows clients by MAC only; this server honours option 61 and echoes it.</li>
 *   <li>libslirp treats a message without the magic cookie as BOOTP; this server
 *       drops it (RFC 1048/1542 clients all send the cookie).</li>
 *   <li>Added options: 26 MTU, 28 broadcast, 58/59 T1/T2, 67 boot file (libslirp fills
 *       only {@code file}); lease time follows {@link DhcpConfig#leaseTime()}.</li>
 *   <li>Replies are padded to 300 bytes (RFC 1542), not to libslirp's fixed 548, and
 *       respect option 57; a BOOTREPLY and a NAK do not carry DHCP-only options.</li>
 *   <li>libslirp ACKs a RENEWING/REBINDING/INIT-REBOOT request for any free pool
 *       address; so does this server (an authoritative server for the link, which
 *       lets a guest keep its address across a jslirp restart) but NAKs addresses
 *       outside the pool or bound to another client, where libslirp also NAKs.</li>
 * </ul>
 * Option overload (52) is not read: {@code sname} and {@code file} of requests are
 * ignored.
 *
 * <p>Runs on the network's event loop; no state is shared.
 */
public final class DhcpServer implements GuestService {
    /** UDP port of the server (RFC 2131 section 4.1). */
    public static final int SERVER_PORT = 67;
    /** UDP port of the client. */
    public static final int CLIENT_PORT = 68;

    /** How long an offered address is held for the client's REQUEST. */
    static final long OFFER_HOLD_SECONDS = 60;
    /** How long a declined address stays unused (as dnsmasq's DECLINE_BACKOFF). */
    static final long DECLINE_QUARANTINE_SECONDS = 600;
    /** IPv4 + UDP header bytes in front of a message. */
    private static final int IP_UDP_OVERHEAD = Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH;
    /** The IP datagram every host must accept, and the floor of option 57 (RFC 2131 section 2, RFC 2132 9.10). */
    private static final int MIN_DATAGRAM = 576;
    /** A BOOTP message with its 64-byte vend field (RFC 951), the shortest reply sent (RFC 1542 section 2.1). */
    private static final int BOOTP_MESSAGE_LENGTH = 300;
    /** IPTOS_LOWDELAY, the TOS libslirp sends replies with. */
    private static final int TOS_LOW_DELAY = 0x10;
    /** The NAK text libslirp sends (option 56). */
    private static final byte[] NAK_MESSAGE = ascii("requested address not available");
    /** Vendor class for UEFI HTTP boot (UEFI 2.5 section 24.7.2), sent as QEMU does when the boot file is a URL. */
    private static final byte[] UEFI_HTTP_CLASS = ascii("HTTPClient");

    private final DhcpConfig config;
    private final DhcpPacket request = new DhcpPacket();
    private final ClientKey client = new ClientKey();
    private final DhcpReplyWriter writer = new DhcpReplyWriter();
    private GuestContext context;
    private NetworkConfig net;
    private Counters<DhcpCounter> counters;
    private LeaseTable table;
    private long[] staticMacs;
    private int[] staticAddresses;
    private long leaseNanos;
    private int leaseSeconds;
    private byte[] hostName;
    private byte[] domainName;
    private byte[] tftpServerName;
    private byte[] bootfile;
    private byte[] searchOptions;

    /** A server handing out what {@code config} says. */
    public DhcpServer(DhcpConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Builds the pool against the network's addressing and registers the counters.
     *
     * @throws ConfigException ({@code dhcp-static}) for a static address outside the
     *         network, on one of its own addresses, or given twice
     */
    @Override
    public void start(GuestContext ctx) {
        this.context = ctx;
        this.net = ctx.config();
        this.counters = ctx.stats().service("dhcp", DhcpCounter.class);
        loadStaticLeases();
        this.table = new LeaseTable(poolAddresses());
        this.leaseSeconds = (int) config.leaseTime().getSeconds();
        this.leaseNanos = TimeUnit.SECONDS.toNanos(leaseSeconds);
        this.hostName = asciiOrNull(config.hostname());
        this.domainName = asciiOrNull(config.domainName());
        this.tftpServerName = asciiOrNull(config.tftpServerName());
        this.bootfile = asciiOrNull(config.bootfile());
        this.searchOptions = DomainSearchEncoder.options(config.dnsSearch());
    }

    private void loadStaticLeases() {
        Map<Long, Integer> statics = config.staticLeases();
        staticMacs = new long[statics.size()];
        staticAddresses = new int[statics.size()];
        Set<Integer> seen = new HashSet<>();
        int i = 0;
        for (Map.Entry<Long, Integer> e : statics.entrySet()) {
            int a = e.getValue();
            String where = MacAddress.toString(e.getKey()) + "=" + Ipv4Address.toString(a);
            if (!isAssignable(a)) {
                throw new ConfigException("dhcp-static", where + ": expected an address inside "
                        + Ipv4Address.toString(net.network()) + "/" + net.prefixLength()
                        + " other than its network, broadcast, host and DNS addresses");
            }
            if (!seen.add(a)) {
                throw new ConfigException("dhcp-static", where + ": address given to two MACs");
            }
            staticMacs[i] = e.getKey();
            staticAddresses[i] = a;
            i++;
        }
    }

    private int[] poolAddresses() {
        int[] pool = new int[config.poolSize()];
        int n = 0;
        for (int i = 0; i < config.poolSize(); i++) {
            int a = net.dhcpStart() + i;
            if (isAssignable(a) && staticOwner(a) < 0) {
                pool[n++] = a;
            }
        }
        return Arrays.copyOf(pool, n);
    }

    /** An address a client may have: inside the network, and not one the network uses itself. */
    private boolean isAssignable(int a) {
        return net.inNetwork(a) && a != net.network() && a != net.broadcast() && !net.isOwnAddress(a);
    }

    private int staticOwner(int address) {
        for (int i = 0; i < staticAddresses.length; i++) {
            if (staticAddresses[i] == address) {
                return i;
            }
        }
        return -1;
    }

    /** The static address of {@code mac}, or 0. */
    private int staticAddressOf(long mac) {
        for (int i = 0; i < staticMacs.length; i++) {
            if (staticMacs[i] == mac) {
                return staticAddresses[i];
            }
        }
        return 0;
    }

    /**
     * Takes UDP to port 67 addressed to the server; the packet stays the caller's.
     *
     * @return true for every message to the server, answered or counted
     */
    @Override
    public boolean handle(GuestPacket packet) {
        if (packet.protocol() != Ipv4Packet.PROTO_UDP) {
            return false;
        }
        UdpPacket udp = packet.udp();
        int dst = packet.ip().destination();
        if (udp.destinationPort() != SERVER_PORT
                || (dst != Ipv4Address.BROADCAST && dst != net.broadcast() && dst != net.host())) {
            return false;
        }
        DhcpCounter bad = request.wrap(packet.ip().buffer(), udp.payloadOffset(), udp.payloadLength(),
                net.mtu() - IP_UDP_OVERHEAD);
        if (bad != null) {
            counters.increment(bad);
            return true;
        }
        try {
            client.set(request.chaddr(), request.buffer(), request.clientIdOffset(), request.clientIdLength());
            dispatch(packet.nanoTime());
        } finally {
            client.clear();
        }
        return true;
    }

    private void dispatch(long now) {
        int type = request.messageType();
        if (type == 0) {
            bootp(now);
            return;
        }
        DhcpMessageType t = DhcpMessageType.of(type);
        if (t == null) {
            counters.increment(DhcpCounter.UNKNOWN_MESSAGE_TYPE);
            return;
        }
        switch (t) {
            case DISCOVER:
                discover(now);
                break;
            case REQUEST:
                request(now);
                break;
            case DECLINE:
                decline(now);
                break;
            case RELEASE:
                release(now);
                break;
            case INFORM:
                inform();
                break;
            default:    // OFFER, ACK, NAK: server messages
                counters.increment(DhcpCounter.UNKNOWN_MESSAGE_TYPE);
                break;
        }
    }

    // ---------------------------------------------------------------- RFC 2131 section 4.3

    private void discover(long now) {
        counters.increment(DhcpCounter.DISCOVER);
        int address = staticAddressOf(client.mac());
        if (address == 0) {
            Lease l = table.choose(client, request.requestedAddress(), now);
            if (l == null) {
                counters.increment(DhcpCounter.POOL_EXHAUSTED);
                return;
            }
            table.offer(l, client, now, TimeUnit.SECONDS.toNanos(OFFER_HOLD_SECONDS));
            address = l.address;
        }
        reply(DhcpMessageType.OFFER, 0, address);
    }

    private void request(long now) {
        counters.increment(DhcpCounter.REQUEST);
        int wanted;
        if (request.hasServerId()) {
            // SELECTING: the client answers an OFFER; it names the server it chose.
            if (request.serverId() != net.host()) {
                Lease offered = table.forClient(client, now);
                if (offered != null && offered.state == Lease.State.OFFERED) {
                    table.release(offered, now);
                }
                counters.increment(DhcpCounter.OTHER_SERVER_SELECTED);
                return;
            }
            if (!request.hasRequestedAddress()) {
                counters.increment(DhcpCounter.MISSING_OPTION);   // "MUST contain" (4.3.2)
                return;
            }
            wanted = request.requestedAddress();
        } else if (request.hasRequestedAddress()) {
            wanted = request.requestedAddress();                // INIT-REBOOT
        } else if (request.ciaddr() != 0) {
            wanted = request.ciaddr();                          // RENEWING or REBINDING
        } else {
            counters.increment(DhcpCounter.MISSING_OPTION);
            return;
        }
        int granted = grant(wanted, now);
        if (granted == 0) {
            nak();
        } else {
            reply(DhcpMessageType.ACK, request.ciaddr(), granted);
        }
    }

    /** Binds {@code wanted} to the client if it may have it; returns it, or 0 if not. */
    private int grant(int wanted, long now) {
        int fixed = staticAddressOf(client.mac());
        if (fixed != 0) {
            return wanted == fixed ? fixed : 0;
        }
        Lease l = table.claimable(client, wanted, now);
        if (l == null) {
            return 0;
        }
        table.bind(l, client, now, leaseNanos);
        return l.address;
    }

    private void decline(long now) {
        counters.increment(DhcpCounter.DECLINE);
        if (!request.hasRequestedAddress()) {
            counters.increment(DhcpCounter.MISSING_OPTION);   // option 50 "MUST" (table 5)
            return;
        }
        int address = request.requestedAddress();
        if (staticAddressOf(client.mac()) == address) {
            // Nothing else to give this client: count it and keep the reservation.
            counters.increment(DhcpCounter.ADDRESS_DECLINED);
            return;
        }
        Lease l = table.forClient(client, now);
        if (l == null || l.address != address || l.state == Lease.State.FREE) {
            counters.increment(DhcpCounter.UNKNOWN_LEASE);
            return;
        }
        table.decline(l, now, TimeUnit.SECONDS.toNanos(DECLINE_QUARANTINE_SECONDS));
        counters.increment(DhcpCounter.ADDRESS_DECLINED);
    }

    private void release(long now) {
        counters.increment(DhcpCounter.RELEASE);
        int address = request.ciaddr();
        if (address == 0) {
            counters.increment(DhcpCounter.MISSING_OPTION);   // ciaddr "MUST" (table 5)
            return;
        }
        if (staticAddressOf(client.mac()) == address) {
            counters.increment(DhcpCounter.LEASE_RELEASED);
            return;
        }
        Lease l = table.forClient(client, now);
        if (l == null || l.address != address || l.state != Lease.State.BOUND) {
            counters.increment(DhcpCounter.UNKNOWN_LEASE);
            return;
        }
        table.release(l, now);
        counters.increment(DhcpCounter.LEASE_RELEASED);
    }

    private void inform() {
        counters.increment(DhcpCounter.INFORM);
        reply(DhcpMessageType.ACK, request.ciaddr(), 0);
    }

    private void bootp(long now) {
        counters.increment(DhcpCounter.BOOTP_REQUEST);
        int address = staticAddressOf(client.mac());
        if (address == 0) {
            Lease l = table.choose(client, request.requestedAddress(), now);
            if (l == null) {
                counters.increment(DhcpCounter.POOL_EXHAUSTED);
                return;
            }
            table.bindPermanently(l, client, now);
            address = l.address;
        }
        reply(null, request.ciaddr(), address);
    }

    // ---------------------------------------------------------------- replies

    /**
     * Sends an OFFER or ACK ({@code type}), or a BOOTREPLY if {@code type} is null,
     * carrying {@code yiaddr} (0 for an ACK to INFORM, which gets no lease options).
     */
    private void reply(DhcpMessageType type, int ciaddr, int yiaddr) {
        boolean bootp = type == null;
        int limit = messageLimit(bootp);
        ByteBuf frame = context.newIpv4Frame(UdpPacket.HEADER_LENGTH + limit);
        boolean passed = false;
        try {
            int udpOff = frame.writerIndex();
            writer.begin(frame, udpOff + UdpPacket.HEADER_LENGTH, limit, request, ciaddr, yiaddr, net.host());
            if (bootfile != null) {
                writer.file(bootfile);
            }
            if (!bootp) {
                dhcpHeaderOptions(type);
                if (yiaddr != 0) {
                    int t1 = leaseSeconds / 2;
                    int t2 = (int) (leaseSeconds * 7L / 8);
                    count(writer.int32(DhcpOption.LEASE_TIME, leaseSeconds));
                    count(writer.int32(DhcpOption.RENEWAL_TIME, t1));
                    count(writer.int32(DhcpOption.REBINDING_TIME, t2));
                }
            }
            configurationOptions();
            int length = writer.finish(BOOTP_MESSAGE_LENGTH);
            int dst = destination(yiaddr, false);
            passed = true;
            send(frame, udpOff, length, dst);
        } finally {
            if (!passed) {
                frame.release();
            }
        }
        counters.increment(bootp ? DhcpCounter.BOOTP_REPLY_SENT
                : type == DhcpMessageType.OFFER ? DhcpCounter.OFFER_SENT : DhcpCounter.ACK_SENT);
    }

    private void nak() {
        int limit = messageLimit(false);
        ByteBuf frame = context.newIpv4Frame(UdpPacket.HEADER_LENGTH + limit);
        boolean passed = false;
        try {
            int udpOff = frame.writerIndex();
            writer.begin(frame, udpOff + UdpPacket.HEADER_LENGTH, limit, request, 0, 0, 0);
            dhcpHeaderOptions(DhcpMessageType.NAK);
            count(writer.bytes(DhcpOption.MESSAGE, NAK_MESSAGE));
            int length = writer.finish(BOOTP_MESSAGE_LENGTH);
            passed = true;
            send(frame, udpOff, length, destination(0, true));
        } finally {
            if (!passed) {
                frame.release();
            }
        }
        counters.increment(DhcpCounter.NAK_SENT);
    }

    /** 53, 54 and the client identifier echoed (RFC 6842 section 3): first, they always fit. */
    private void dhcpHeaderOptions(DhcpMessageType type) {
        count(writer.messageType(type));
        count(writer.int32(DhcpOption.SERVER_ID, net.host()));
        if (request.clientIdOffset() >= 0) {
            count(writer.copy(DhcpOption.CLIENT_ID, request.buffer(), request.clientIdOffset(),
                    request.clientIdLength()));
        }
    }

    /** The configuration every reply but NAK carries, in libslirp's order where it has them. */
    private void configurationOptions() {
        count(writer.int32(DhcpOption.SUBNET_MASK, net.netmask()));
        if (!net.restrict()) {
            count(writer.int32(DhcpOption.ROUTER, net.host()));
            count(writer.int32(DhcpOption.DNS_SERVER, net.dns()));
        }
        count(writer.int32(DhcpOption.BROADCAST_ADDRESS, net.broadcast()));
        count(writer.int16(DhcpOption.INTERFACE_MTU, net.mtu()));
        if (hostName != null) {
            count(writer.bytes(DhcpOption.HOST_NAME, hostName));
        }
        if (domainName != null) {
            count(writer.bytes(DhcpOption.DOMAIN_NAME, domainName));
        }
        if (tftpServerName != null) {
            count(writer.bytes(DhcpOption.TFTP_SERVER_NAME, tftpServerName));
        }
        if (bootfile != null) {
            count(writer.bytes(DhcpOption.BOOTFILE_NAME, bootfile));
            if (config.bootfile().startsWith("http://")) {
                count(writer.bytes(DhcpOption.VENDOR_CLASS_ID, UEFI_HTTP_CLASS));
            }
        }
        if (searchOptions.length > 0) {
            count(writer.encoded(searchOptions));
        }
    }

    private void count(boolean written) {
        if (!written) {
            counters.increment(DhcpCounter.OPTION_OMITTED);
        }
    }

    /**
     * The longest message the client takes: option 57 read as an IP datagram size, no
     * less than 576, no more than the MTU; without it 576, or a 300-byte BOOTP message.
     */
    private int messageLimit(boolean bootp) {
        int max = request.maxMessageSize();
        if (max == 0) {
            return bootp ? BOOTP_MESSAGE_LENGTH : MIN_DATAGRAM - IP_UDP_OVERHEAD;
        }
        return Math.min(Math.max(max, MIN_DATAGRAM), net.mtu()) - IP_UDP_OVERHEAD;
    }

    /** Where a reply goes (RFC 2131 section 4.1, giaddr zero). */
    private int destination(int yiaddr, boolean nak) {
        if (nak) {
            return Ipv4Address.BROADCAST;
        }
        int ciaddr = request.ciaddr();
        if (ciaddr != 0 && isAssignable(ciaddr)) {
            context.addNeighbor(ciaddr, request.chaddr());
            return ciaddr;
        }
        if (ciaddr != 0 || request.broadcastFlag() || yiaddr == 0) {
            return Ipv4Address.BROADCAST;
        }
        context.addNeighbor(yiaddr, request.chaddr());
        return yiaddr;
    }

    /** Completes the UDP header over the {@code length}-byte message and sends; takes ownership of {@code frame}. */
    private void send(ByteBuf frame, int udpOff, int length, int dst) {
        int udpLength = UdpPacket.HEADER_LENGTH + length;
        frame.writerIndex(udpOff + udpLength);
        UdpPacket.write(frame, udpOff, SERVER_PORT, CLIENT_PORT, udpLength, net.host(), dst);
        context.sendIpv4(frame, net.host(), dst, Ipv4Packet.PROTO_UDP, TOS_LOW_DELAY, false);
    }

    // ---------------------------------------------------------------- inspection

    /** Leases offered, bound or declined now (a snapshot for monitoring and tests). Call on the event loop. */
    public List<String> activeLeases() {
        List<String> out = new ArrayList<>();
        for (Lease l : table.active(context.nanoTime())) {
            out.add(l.toString());
        }
        return out;
    }

    /** Addresses in the dynamic pool. */
    public int poolSize() {
        return table.size();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] asciiOrNull(String s) {
        return s == null ? null : ascii(s);
    }
}
