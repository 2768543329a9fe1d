package dev.jslirp.autoconf;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;

/**
 * The router advertisement the network sends (RFC 4861 section 4.2), built once from the
 * configuration: the same message answers every solicitation and every period, since
 * nothing in it depends on who asks.
 *
 * <h2>What it says, and why</h2>
 * <ul>
 *   <li>Cur Hop Limit 64, Reachable Time and Retrans Timer 0 (unspecified: the guest keeps
 *       its defaults), as libslirp.</li>
 *   <li>M = 0: there is no stateful DHCPv6, addresses come from SLAAC. O = 1: "other
 *       configuration" is available from DHCPv6 (RFC 4861 section 4.2), which is true here
 *       ({@link Dhcpv6Server} answers Information-requests with the DNS server and search
 *       list), so clients that configure DNS only through DHCPv6 (NetworkManager,
 *       systemd-networkd in their default "RA says" mode) ask for it. libslirp sends O = 0
 *       although it serves the same stateless DHCPv6.</li>
 *   <li>Router Lifetime {@value #ROUTER_LIFETIME_SECONDS} s, libslirp's 3 x
 *       MaxRtrAdvInterval (RFC 4861 section 6.2.1's default); 0 under
 *       {@code restrict=on}, where the network is no default router, as DHCPv4 then sends no
 *       router option (libslirp advertises a router there anyway).</li>
 *   <li>Source link-layer address: the gateway's MAC (section 4.6.1), so the guest needs no
 *       neighbour solicitation for its default router.</li>
 *   <li>MTU (section 4.6.4): the link MTU, which libslirp leaves out; a guest on a link
 *       configured above or below 1500 needs it to send datagrams that fit. Left out for an
 *       MTU under IPv6's minimum of 1280 (RFC 8200 section 5), which guests would ignore.</li>
 *   <li>Prefix information (section 4.6.2): {@code ipv6-net}'s prefix, on-link and
 *       autonomous, valid {@value #PREFIX_VALID_SECONDS} s, preferred
 *       {@value #PREFIX_PREFERRED_SECONDS} s, as libslirp. (SLAAC needs a /64, RFC 4862
 *       section 5.5.3; a guest ignores the autonomous flag for another length.)</li>
 *   <li>RDNSS (RFC 8106 section 5.1): the IPv6 DNS address, lifetime
 *       {@value #DNS_LIFETIME_SECONDS} s, 3 x MaxRtrAdvInterval as RFC 8106 recommends
 *       (libslirp sends 1200000 s, milliseconds taken for seconds). libslirp sends RDNSS only
 *       if the host has an IPv6 nameserver; here the DNS service forwards over either family,
 *       so always, but not under {@code restrict=on} (as DHCPv4's option 6).</li>
 *   <li>DNSSL (RFC 8106 section 5.2): the search domains ({@code dnssearch=}), same lifetime,
 *       as many as fit the option (2032 bytes of names) and the MTU; libslirp sends none.</li>
 * </ul>
 */
final class RouterAdvertisement {
    /** ICMPv6 type (RFC 4861 section 4.2). */
    static final int TYPE = 134;
    static final int CUR_HOP_LIMIT = 64;
    static final int ROUTER_LIFETIME_SECONDS = 1800;
    static final int PREFIX_VALID_SECONDS = 86400;
    static final int PREFIX_PREFERRED_SECONDS = 14400;
    static final int DNS_LIFETIME_SECONDS = 3 * 600;
    static final int FLAG_MANAGED = 0x80;
    static final int FLAG_OTHER = 0x40;
    /** Option types (RFC 4861 section 4.6, RFC 8106 section 5). */
    static final int OPT_SOURCE_LL = 1;
    static final int OPT_PREFIX = 3;
    static final int OPT_MTU = 5;
    static final int OPT_RDNSS = 25;
    static final int OPT_DNSSL = 31;
    /** Type to Retrans Timer (section 4.2). */
    private static final int HEADER_LENGTH = 16;
    private static final int SOURCE_LL_LENGTH = 8;
    private static final int MTU_LENGTH = 8;
    private static final int PREFIX_LENGTH = 32;
    private static final int RDNSS_LENGTH = 24;
    /** Type, length, reserved, lifetime: what a DNSSL option has before its names. */
    private static final int DNSSL_HEAD = 8;
    /** An option's length is counted in 8-byte units in one byte (section 4.6). */
    private static final int MAX_OPTION_LENGTH = 255 * 8;
    private static final int PREFIX_FLAG_ON_LINK = 0x80;
    private static final int PREFIX_FLAG_AUTONOMOUS = 0x40;
    /** IPv6's minimum link MTU (RFC 8200 section 5). */
    static final int IPV6_MIN_MTU = 1280;
    private static final int IPV6_HEADER = 40;

    private final byte[] message;
    private final int domainsLeftOut;

    private RouterAdvertisement(byte[] message, int domainsLeftOut) {
        this.message = message;
        this.domainsLeftOut = domainsLeftOut;
    }

    /** The advertisement for {@code net} with {@code searchDomains} in its DNSSL. */
    static RouterAdvertisement of(NetworkConfig net, List<String> searchDomains) {
        boolean restricted = net.restrict();
        boolean withMtu = net.mtu() >= IPV6_MIN_MTU;
        int fixed = HEADER_LENGTH + SOURCE_LL_LENGTH + (withMtu ? MTU_LENGTH : 0) + PREFIX_LENGTH
                + (restricted ? 0 : RDNSS_LENGTH);
        List<String> domains = restricted ? List.of() : searchDomains;
        int room = Math.min(MAX_OPTION_LENGTH, net.mtu() - IPV6_HEADER - fixed) - DNSSL_HEAD;
        byte[] names = DomainNames.wire(domains, Math.max(0, room));
        int kept = DomainNames.fitting(domains, Math.max(0, room));
        int dnsslLength = names.length == 0 ? 0 : DNSSL_HEAD + pad8(names.length);
        ByteBuf b = Unpooled.buffer(fixed + dnsslLength);
        b.writeByte(TYPE);
        b.writeByte(0);
        b.writeShort(0);                     // the core writes the checksum
        b.writeByte(CUR_HOP_LIMIT);
        b.writeByte(FLAG_OTHER);
        b.writeShort(restricted ? 0 : ROUTER_LIFETIME_SECONDS);
        b.writeInt(0);                       // reachable time: unspecified
        b.writeInt(0);                       // retrans timer: unspecified

        b.writeByte(OPT_SOURCE_LL);
        b.writeByte(SOURCE_LL_LENGTH / 8);
        b.writerIndex(b.writerIndex() + 6);
        MacAddress.write(b, b.writerIndex() - 6, net.gatewayMac());

        if (withMtu) {
            b.writeByte(OPT_MTU);
            b.writeByte(MTU_LENGTH / 8);
            b.writeShort(0);
            b.writeInt(net.mtu());
        }

        IpAddress prefix = net.ipv6Prefix();
        b.writeByte(OPT_PREFIX);
        b.writeByte(PREFIX_LENGTH / 8);
        b.writeByte(net.ipv6PrefixLength());
        b.writeByte(PREFIX_FLAG_ON_LINK | PREFIX_FLAG_AUTONOMOUS);
        b.writeInt(PREFIX_VALID_SECONDS);
        b.writeInt(PREFIX_PREFERRED_SECONDS);
        b.writeInt(0);
        b.writeLong(prefix.hi());
        b.writeLong(prefix.lo());

        if (!restricted) {
            IpAddress dns = net.ipv6Dns();
            b.writeByte(OPT_RDNSS);
            b.writeByte(RDNSS_LENGTH / 8);
            b.writeShort(0);
            b.writeInt(DNS_LIFETIME_SECONDS);
            b.writeLong(dns.hi());
            b.writeLong(dns.lo());
        }
        if (dnsslLength > 0) {
            b.writeByte(OPT_DNSSL);
            b.writeByte(dnsslLength / 8);
            b.writeShort(0);
            b.writeInt(DNS_LIFETIME_SECONDS);
            b.writeBytes(names);
            b.writeZero(dnsslLength - DNSSL_HEAD - names.length);   // padding (RFC 8106 section 5.2)
        }
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return new RouterAdvertisement(out, domains.size() - kept);
    }

    private static int pad8(int n) {
        return (n + 7) & ~7;
    }

    /** The message's length, ICMPv6 header included. */
    int length() {
        return message.length;
    }

    /** Writes the message at {@code out}'s writer index with a zero checksum; {@code out} stays the caller's. */
    void writeTo(ByteBuf out) {
        out.writeBytes(message);
    }

    /** Search domains that did not fit the DNSSL option (counted once at start). */
    int domainsLeftOut() {
        return domainsLeftOut;
    }
}
