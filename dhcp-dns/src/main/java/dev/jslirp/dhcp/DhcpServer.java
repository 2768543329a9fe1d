package dev.jslirp.dhcp;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.UdpPacket;
import dev.jslirp.dns.GuestNames;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * broadcast; so is a reply to a client that put its address in {@code ciaddr} (where
 * the RFC says unicast: see {@code DhcpResponder#destination} for the busybox udhcpc
 * race that unicast loses) and one to a client that set the BROADCAST flag; else
 * unicast to {@code yiaddr} at {@code chaddr}, which the server tells the core
 * ({@link GuestContext#addNeighbor}) so no ARP is needed for a client that cannot
 * answer ARP yet.
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
 * <p><b>Names.</b> The host name a client gives (option 12, or the first label of its
 * client FQDN, option 81) is registered with its address in {@link GuestNames} when its
 * lease is granted (ACK), for the DNS service to answer, and given up when the lease is
 * released, declined or moved; a name no DNS label or another client's is not
 * registered (counted), and the lease is granted all the same.
 *
 * <p><b>Leases and bounds.</b> The pool is {@link DhcpConfig#poolSize()} addresses
 * from {@code dhcpstart}, skipping the gateway, DNS, network and broadcast addresses
 * and static leases; {@link LeaseTable} has one entry per address, made up front, so
 * nothing the guest sends grows it. Time is the network clock and expiry is lazy.
 *
 * <h2>Differences from QEMU's libslirp (bootp.c)</h2>
 * <ul>
 *   <li>libslirp broadcasts every reply; this server unicasts an OFFER or ACK to a
 *       client without an address ({@code yiaddr} at {@code chaddr}, RFC 2131 4.1)
 *       unless it asks for broadcast.</li>
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
    public static final int SERVER_PORT = DhcpResponder.SERVER_PORT;
    /** UDP port of the client. */
    public static final int CLIENT_PORT = DhcpResponder.CLIENT_PORT;

    /** How long an offered address is held for the client's REQUEST. */
    static final long OFFER_HOLD_SECONDS = 60;
    /** How long a declined address stays unused (as dnsmasq's DECLINE_BACKOFF). */
    static final long DECLINE_QUARANTINE_SECONDS = 600;
    /** A BOOTP binding's name is kept for good: about 146 years on the network clock. */
    private static final long FOREVER_NANOS = Long.MAX_VALUE / 2;

    private final DhcpConfig config;
    private final GuestNames names;
    /** When each static lease taken ends, by MAC (for {@code info leases}); bounded by the static leases. */
    private final Map<Long, Long> staticBound = new HashMap<>();
    private final DhcpPacket request = new DhcpPacket();
    private final ClientKey client = new ClientKey();
    private GuestContext context;
    private NetworkConfig net;
    private Counters<DhcpCounter> counters;
    private LeaseTable table;
    private AddressPlan plan;
    private DhcpResponder responder;
    private long leaseNanos;

    /** A server handing out what {@code config} says. */
    public DhcpServer(DhcpConfig config) {
        this(config, null);
    }

    /** A server handing out what {@code config} says, registering clients' host names in {@code names} (null: none). */
    public DhcpServer(DhcpConfig config, GuestNames names) {
        this.config = Objects.requireNonNull(config, "config");
        this.names = names;
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
        this.plan = new AddressPlan(net, config);
        this.table = new LeaseTable(plan.pool());
        this.leaseNanos = TimeUnit.SECONDS.toNanos(config.leaseTime().getSeconds());
        this.responder = new DhcpResponder(ctx, config, counters);
    }

    /**
     * Takes UDP to port 67 addressed to the server; the packet stays the caller's.
     *
     * @return true for every message to the server, answered or counted
     */
    @Override
    public boolean handle(GuestPacket packet) {
        if (packet.protocol() != Ipv4Packet.PROTO_UDP || packet.isIpv6()) {
            return false;
        }
        UdpPacket udp = packet.udp();
        int dst = packet.ipv4().destination();
        if (udp.destinationPort() != SERVER_PORT
                || (dst != Ipv4Address.BROADCAST && dst != net.broadcast() && dst != net.host())) {
            return false;
        }
        DhcpCounter bad = request.wrap(packet.buffer(), udp.payloadOffset(), udp.payloadLength(),
                net.mtu() - DhcpResponder.IP_UDP_OVERHEAD);
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
        int address = allocate(now, false);
        if (address != 0) {
            responder.reply(request, DhcpMessageType.OFFER, 0, address);
        }
    }

    /**
     * The client's static address, else a pool address chosen for it (RFC 2131 section
     * 4.3.1) and held as an offer, or bound for good for a BOOTP client. Returns 0,
     * counted, if the pool has nothing free.
     */
    private int allocate(long now, boolean bootp) {
        int fixed = plan.staticAddressOf(client.mac());
        if (fixed != 0) {
            return fixed;
        }
        Lease l = table.choose(client, request.requestedAddress(), now);
        if (l == null) {
            counters.increment(DhcpCounter.POOL_EXHAUSTED);
            return 0;
        }
        if (bootp) {
            table.bindPermanently(l, client, now);
        } else {
            table.offer(l, client, now, TimeUnit.SECONDS.toNanos(OFFER_HOLD_SECONDS));
        }
        return l.address;
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
            responder.reply(request, DhcpMessageType.NAK, 0, 0);
        } else {
            granted(granted, now + leaseNanos, now);
            responder.reply(request, DhcpMessageType.ACK, request.ciaddr(), granted);
        }
    }

    /** Notes a granted lease of {@code address} until {@code until}: a static one's end, and the client's name. */
    private void granted(int address, long until, long now) {
        if (plan.staticAddressOf(client.mac()) == address) {
            staticBound.put(client.mac(), until);
        }
        if (names == null) {
            return;
        }
        String name = request.hostName();
        if (name == null) {
            return;
        }
        if (name.equals(DhcpPacket.INVALID_NAME)) {
            counters.increment(DhcpCounter.HOSTNAME_INVALID);
        } else if (names.register(name, address, client.mac(), until, now) == GuestNames.Registration.IN_USE) {
            counters.increment(DhcpCounter.HOSTNAME_IN_USE);
        }
    }

    /** Binds {@code wanted} to the client if it may have it; returns it, or 0 if not. */
    private int grant(int wanted, long now) {
        int fixed = plan.staticAddressOf(client.mac());
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
        if (plan.staticAddressOf(client.mac()) == address) {
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
        forgetName(address);
        counters.increment(DhcpCounter.ADDRESS_DECLINED);
    }

    private void release(long now) {
        counters.increment(DhcpCounter.RELEASE);
        int address = request.ciaddr();
        if (address == 0) {
            counters.increment(DhcpCounter.MISSING_OPTION);   // ciaddr "MUST" (table 5)
            return;
        }
        if (plan.staticAddressOf(client.mac()) == address) {
            staticBound.remove(client.mac());
            forgetName(address);
            counters.increment(DhcpCounter.LEASE_RELEASED);
            return;
        }
        Lease l = table.forClient(client, now);
        if (l == null || l.address != address || l.state != Lease.State.BOUND) {
            counters.increment(DhcpCounter.UNKNOWN_LEASE);
            return;
        }
        table.release(l, now);
        forgetName(address);
        counters.increment(DhcpCounter.LEASE_RELEASED);
    }

    private void inform() {
        counters.increment(DhcpCounter.INFORM);
        responder.reply(request, DhcpMessageType.ACK, request.ciaddr(), 0);
    }

    private void bootp(long now) {
        counters.increment(DhcpCounter.BOOTP_REQUEST);
        int address = allocate(now, true);
        if (address != 0) {
            granted(address, now + FOREVER_NANOS, now);
            responder.reply(request, null, request.ciaddr(), address);
        }
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

    private void forgetName(int address) {
        if (names != null) {
            names.forget(address);
        }
    }

    /**
     * The leases now, as {@code info leases} shows them: the pool's offered, bound and
     * declined addresses, then the static leases taken, with each client's host name.
     * Call on the event loop.
     */
    public List<LeaseInfo> leases() {
        long now = context.nanoTime();
        List<LeaseInfo> out = new ArrayList<>();
        for (Lease l : table.active(now)) {
            long left = l.permanent ? -1 : TimeUnit.NANOSECONDS.toSeconds(Math.max(0, l.expiresAt - now));
            out.add(new LeaseInfo(l.address, l.owned ? l.mac : 0, nameOf(l.address, now), l.state.name(), left));
        }
        for (Map.Entry<Long, Long> e : staticBound.entrySet()) {
            if (e.getValue() - now > 0) {
                int address = plan.staticAddressOf(e.getKey());
                out.add(new LeaseInfo(address, e.getKey(), nameOf(address, now), "STATIC",
                        TimeUnit.NANOSECONDS.toSeconds(e.getValue() - now)));
            }
        }
        return out;
    }

    private String nameOf(int address, long now) {
        return names == null ? null : names.nameOf(address, now);
    }

    /** The address the client {@code mac} holds now (bound, offered or static), or 0: for forwards that follow a VM. */
    public int addressOf(long mac) {
        long now = context.nanoTime();
        Long until = staticBound.get(mac);
        if (until != null && until - now > 0) {
            return plan.staticAddressOf(mac);
        }
        for (Lease l : table.active(now)) {
            if (l.owned && l.mac == mac && l.state != Lease.State.DECLINED) {
                return l.address;
            }
        }
        return 0;
    }

    /** The address of the guest whose lease has host name {@code name} (bare or qualified), or 0. */
    public int addressOfHost(String name) {
        return names == null ? 0 : names.addressOf(name, context.nanoTime());
    }

    /** Addresses in the dynamic pool. */
    public int poolSize() {
        return table.size();
    }
}
