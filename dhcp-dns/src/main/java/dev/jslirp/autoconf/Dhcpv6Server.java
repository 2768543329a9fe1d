package dev.jslirp.autoconf;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.UdpPacket;
import dev.jslirp.dhcp.DhcpConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The network's stateless DHCPv6 server (RFC 8415, in the subset RFC 3736 defines for
 * stateless service): it hands out configuration, never addresses, which come from SLAAC
 * ({@link RouterAdvertiser}), as QEMU's {@code -netdev user} does.
 *
 * <h2>Theory of operation</h2>
 * <p><b>What it takes.</b> UDP to port 547 sent to All_DHCP_Relay_Agents_and_Servers
 * (ff02::1:2, RFC 8415 section 7.1), the only destination a client uses without a server
 * unicast option (which this server never sends); UDP to port 547 of another address is
 * not for it. Each message is checked by a {@link Dhcpv6Message} view: a malformed one is
 * dropped and counted under its {@link Dhcpv6Counter}, never answered.
 *
 * <p><b>What it answers.</b> An Information-request (section 18.2.6) gets a Reply
 * (section 18.3.6) with the same transaction ID, from port 547 to the client's address and
 * port, carrying:
 * <ul>
 *   <li>Server Identifier: the server's DUID, a DUID-LL (type 3, section 11.4) of the
 *       gateway's MAC, stable across restarts. libslirp sends none, which RFC 8415
 *       section 16.10 tells clients to discard;</li>
 *   <li>Client Identifier, echoed if the client sent one (as libslirp);</li>
 *   <li>what the Option Request option asks for, as libslirp: DNS Recursive Name Server
 *       (23, the IPv6 DNS address), Domain Search List (24, {@code dnssearch=}; libslirp
 *       has none) and Boot File URL (59, RFC 5970, only with {@code bootfile=}:
 *       {@code tftp://[HOST]/FILE} as libslirp, or the boot file itself if it is a
 *       URL). Under {@code restrict=on} no DNS server and no search list, as DHCPv4 then
 *       gives neither. An option that would not fit the MTU is left out and counted.</li>
 * </ul>
 * The Reply comes from fe80::2 to a link-local client, else from the host address (libslirp
 * always uses the host address).
 *
 * <p><b>What it drops.</b> Following section 16.12, an Information-request with an IA
 * option or with another server's identifier. Solicit, Request, Confirm, Renew, Rebind,
 * Release and Decline get no answer, as from libslirp: there are no addresses to lease,
 * and the answers RFC 8415 has for that (an Advertise with NoAddrsAvail, section 18.3.1)
 * only make a client keep soliciting (section 18.2.9), which silence does as well; a
 * Confirm must go unanswered when the server cannot tell (section 18.3.3). The router
 * advertisement's M = 0 tells clients not to ask. Messages servers send, relay messages
 * and unknown types are dropped. Each kind is counted.
 *
 * <p>Stateless: nothing a guest sends is kept, so nothing grows. Runs on the network's
 * event loop.
 */
public final class Dhcpv6Server implements GuestService {
    /** UDP port of servers and relays (RFC 8415 section 7.2). */
    public static final int SERVER_PORT = 547;
    /** All_DHCP_Relay_Agents_and_Servers (RFC 8415 section 7.1). */
    static final IpAddress ALL_SERVERS = IpAddress.parse("ff02::1:2");
    /** DUID-LL (RFC 8415 section 11.4): type 3, hardware type 1 (Ethernet), then the MAC. */
    private static final int DUID_LL = 3;
    private static final int HARDWARE_ETHERNET = 1;
    private static final int IPV6_UDP_OVERHEAD = 40 + UdpPacket.HEADER_LENGTH;

    private final String bootfile;
    private final Dhcpv6Message request = new Dhcpv6Message();
    private GuestContext context;
    private NetworkConfig net;
    private Counters<Dhcpv6Counter> counters;
    private byte[] serverDuid;
    private byte[] domainList;
    private byte[] bootfileUrl;

    /** A server handing out {@code dhcp}'s search domains and boot file with the network's DNS address. */
    public Dhcpv6Server(DhcpConfig dhcp) {
        Objects.requireNonNull(dhcp, "dhcp");
        this.bootfile = dhcp.bootfile();
        this.domainList = DomainNames.wire(dhcp.dnsSearch(), 0xffff);
    }

    @Override
    public void start(GuestContext ctx) {
        this.context = ctx;
        this.net = ctx.config();
        this.counters = ctx.stats().service("dhcpv6", Dhcpv6Counter.class);
        ByteBuf duid = ctx.alloc().heapBuffer(10);
        try {
            duid.writeShort(DUID_LL).writeShort(HARDWARE_ETHERNET);
            duid.writerIndex(10);
            MacAddress.write(duid, 4, net.gatewayMac());
            this.serverDuid = ByteBufUtil.getBytes(duid);
        } finally {
            duid.release();
        }
        if (bootfile != null) {
            String url = bootfile.contains("://") ? bootfile : "tftp://" + net.ipv6Host().toUriString() + "/" + bootfile;
            this.bootfileUrl = url.getBytes(StandardCharsets.US_ASCII);
        }
    }

    /**
     * Takes UDP to port 547 of All_DHCP_Relay_Agents_and_Servers; the packet stays the caller's.
     *
     * @return true for every message to the server, answered or counted
     */
    @Override
    public boolean handle(GuestPacket p) {
        if (p.protocol() != GuestPacket.PROTO_UDP || !p.isIpv6() || !p.destinationIs(ALL_SERVERS)
                || p.udp().destinationPort() != SERVER_PORT) {
            return false;
        }
        UdpPacket udp = p.udp();
        Dhcpv6Counter bad = request.wrap(p.buffer(), udp.payloadOffset(), udp.payloadLength());
        if (bad != null) {
            counters.increment(bad);
            return true;
        }
        switch (request.type()) {
            case Dhcpv6Message.INFORMATION_REQUEST:
                informationRequest(p.source(), udp.sourcePort());
                break;
            case Dhcpv6Message.SOLICIT:
            case Dhcpv6Message.REQUEST:
            case Dhcpv6Message.CONFIRM:
            case Dhcpv6Message.RENEW:
            case Dhcpv6Message.REBIND:
            case Dhcpv6Message.RELEASE:
            case Dhcpv6Message.DECLINE:
                counters.increment(Dhcpv6Counter.STATEFUL_IGNORED);
                break;
            case Dhcpv6Message.RELAY_FORW:
                counters.increment(Dhcpv6Counter.RELAY_IGNORED);
                break;
            case Dhcpv6Message.ADVERTISE:
            case Dhcpv6Message.REPLY:
            case Dhcpv6Message.RECONFIGURE:
            case Dhcpv6Message.RELAY_REPL:
                counters.increment(Dhcpv6Counter.SERVER_MESSAGE_DROPPED);
                break;
            default:
                counters.increment(Dhcpv6Counter.UNKNOWN_TYPE);
                break;
        }
        return true;
    }

    /** RFC 8415 sections 16.12 and 18.3.6. */
    private void informationRequest(IpAddress client, int clientPort) {
        counters.increment(Dhcpv6Counter.INFORMATION_REQUEST);
        if (request.hasIa()) {
            counters.increment(Dhcpv6Counter.IA_IN_INFORMATION_REQUEST);
            return;
        }
        if (request.serverIdOffset() >= 0 && !isOurs(request.serverIdOffset(), request.serverIdLength())) {
            counters.increment(Dhcpv6Counter.OTHER_SERVER);
            return;
        }
        boolean dns = !net.restrict() && request.requests(Dhcpv6Message.WANTS_DNS_SERVERS);
        boolean domains = !net.restrict() && domainList.length > 0 && request.requests(Dhcpv6Message.WANTS_DOMAIN_LIST);
        boolean boot = bootfileUrl != null && request.requests(Dhcpv6Message.WANTS_BOOTFILE_URL);
        int room = net.mtu() - IPV6_UDP_OVERHEAD;
        int length = Dhcpv6Message.HEADER_LENGTH + option(serverDuid.length)
                + (request.clientIdOffset() >= 0 ? option(request.clientIdLength()) : 0) + (dns ? option(16) : 0);
        if (domains && length + option(domainList.length) > room) {
            domains = false;
            counters.increment(Dhcpv6Counter.OPTION_LEFT_OUT);
        }
        length += domains ? option(domainList.length) : 0;
        if (boot && length + option(bootfileUrl.length) > room) {
            boot = false;
            counters.increment(Dhcpv6Counter.OPTION_LEFT_OUT);
        }
        length += boot ? option(bootfileUrl.length) : 0;

        ByteBuf frame = context.newFrame(UdpPacket.HEADER_LENGTH + length);
        int udpOff = frame.writerIndex();
        frame.writerIndex(udpOff + UdpPacket.HEADER_LENGTH);
        frame.writeInt(Dhcpv6Message.REPLY << 24 | request.transactionId());
        writeOption(frame, Dhcpv6Message.OPTION_SERVERID, serverDuid);
        if (request.clientIdOffset() >= 0) {
            frame.writeShort(Dhcpv6Message.OPTION_CLIENTID).writeShort(request.clientIdLength());
            frame.writeBytes(request.buffer(), request.clientIdOffset(), request.clientIdLength());
        }
        if (dns) {
            IpAddress a = net.ipv6Dns();
            frame.writeShort(Dhcpv6Message.OPTION_DNS_SERVERS).writeShort(16).writeLong(a.hi()).writeLong(a.lo());
        }
        if (domains) {
            writeOption(frame, Dhcpv6Message.OPTION_DOMAIN_LIST, domainList);
        }
        if (boot) {
            writeOption(frame, Dhcpv6Message.OPTION_BOOTFILE_URL, bootfileUrl);
        }
        UdpPacket.writeHeader(frame, udpOff, SERVER_PORT, clientPort, UdpPacket.HEADER_LENGTH + length);
        IpAddress from = client.isLinkLocal() ? net.routerLinkLocal() : net.ipv6Host();
        counters.increment(Dhcpv6Counter.REPLY_SENT);
        context.send(frame, from, client, GuestPacket.PROTO_UDP, 0);
    }

    private boolean isOurs(int offset, int length) {
        if (length != serverDuid.length) {
            return false;
        }
        ByteBuf b = request.buffer();
        for (int i = 0; i < length; i++) {
            if (b.getByte(offset + i) != serverDuid[i]) {
                return false;
            }
        }
        return true;
    }

    private static int option(int dataLength) {
        return Dhcpv6Message.OPTION_HEADER_LENGTH + dataLength;
    }

    private static void writeOption(ByteBuf out, int code, byte[] data) {
        out.writeShort(code).writeShort(data.length).writeBytes(data);
    }

    /** The server's DUID (for tests). */
    byte[] serverDuid() {
        return serverDuid.clone();
    }
}
