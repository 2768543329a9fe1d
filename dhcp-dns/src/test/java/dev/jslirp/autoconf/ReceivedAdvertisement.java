package dev.jslirp.autoconf;

import dev.jslirp.core.testkit.PcapFrames;
import io.netty.buffer.ByteBuf;
import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV6CommonPacket.IpV6NeighborDiscoveryOption;
import org.pcap4j.packet.IcmpV6RouterAdvertisementPacket;
import org.pcap4j.packet.IllegalRawDataException;
import org.pcap4j.packet.IpV6NeighborDiscoveryMtuOption;
import org.pcap4j.packet.IpV6NeighborDiscoveryPrefixInformationOption;
import org.pcap4j.packet.IpV6NeighborDiscoverySourceLinkLayerAddressOption;
import org.pcap4j.packet.IpV6Packet;

/**
 * A router advertisement the network sent, decoded by pcap4j (headers, source
 * link-layer, MTU and prefix options); the option list, RDNSS and DNSSL, which pcap4j
 * does not know, and the checksum are read here from the raw message. (The scapy test,
 * {@code dev.jslirp.dhcp.Ipv6AutoconfScapyTest}, decodes them independently.)
 */
record ReceivedAdvertisement(String ethSource, String ethDestination, String ipSource, String ipDestination,
                             int hopLimit, boolean checksumValid, int curHopLimit, boolean managed, boolean other,
                             int routerLifetime, long reachableTime, long retransTimer, String sourceLinkLayer,
                             Integer mtu, String prefix, int prefixLength, boolean onLink, boolean autonomous,
                             long validLifetime, long preferredLifetime, List<String> rdnss, long rdnssLifetime,
                             List<String> dnssl, long dnsslLifetime, List<Integer> optionTypes) {

    /** Decodes {@code frame} and releases it; fails if it is no router advertisement. */
    static ReceivedAdvertisement decode(ByteBuf frame) throws IllegalRawDataException {
        // The message as sent: after Ethernet (14) and an IPv6 header without extensions (40).
        byte[] m = io.netty.buffer.ByteBufUtil.getBytes(frame, frame.readerIndex() + 14 + 40, frame.readableBytes() - 54);
        EthernetPacket eth = PcapFrames.decode(frame);
        IpV6Packet ip = eth.get(IpV6Packet.class);
        IcmpV6RouterAdvertisementPacket ra = eth.get(IcmpV6RouterAdvertisementPacket.class);
        if (ra == null) {
            throw new AssertionError("not a router advertisement: " + eth);
        }
        IcmpV6RouterAdvertisementPacket.IcmpV6RouterAdvertisementHeader h = ra.getHeader();
        String sll = null;
        Integer mtu = null;
        String prefix = null;
        int prefixLength = -1;
        boolean onLink = false;
        boolean autonomous = false;
        long valid = -1;
        long preferred = -1;
        List<String> rdnss = new ArrayList<>();
        long rdnssLifetime = -1;
        List<String> dnssl = new ArrayList<>();
        long dnsslLifetime = -1;
        List<Integer> types = new ArrayList<>();
        for (IpV6NeighborDiscoveryOption o : h.getOptions()) {
            if (o instanceof IpV6NeighborDiscoverySourceLinkLayerAddressOption s) {
                sll = s.getLinkLayerAddressAsMacAddress().toString();
            } else if (o instanceof IpV6NeighborDiscoveryMtuOption mo) {
                mtu = mo.getMtu();
            } else if (o instanceof IpV6NeighborDiscoveryPrefixInformationOption p) {
                prefix = p.getPrefix().getHostAddress();
                prefixLength = p.getPrefixLengthAsInt();
                onLink = p.getOnLinkFlag();
                autonomous = p.getAddressConfigurationFlag();
                valid = p.getValidLifetimeAsLong();
                preferred = p.getPreferredLifetimeAsLong();
            }
        }
        // pcap4j 1.8.2 reads an option's length byte as signed and drops options of more
        // than 127 units, and knows neither RDNSS nor DNSSL: those are walked here.
        for (int i = 16; i + 2 <= m.length; ) {
            int type = m[i] & 0xff;
            int len = (m[i + 1] & 0xff) * 8;
            if (len == 0 || i + len > m.length) {
                throw new AssertionError("bad option at " + i);
            }
            types.add(type);
            long lifetime = len >= 8 ? ((m[i + 4] & 0xffL) << 24) | ((m[i + 5] & 0xff) << 16) | ((m[i + 6] & 0xff) << 8)
                    | (m[i + 7] & 0xff) : -1;
            if (type == 25) {
                rdnssLifetime = lifetime;
                for (int a = i + 8; a + 16 <= i + len; a += 16) {
                    rdnss.add(inet6(java.util.Arrays.copyOfRange(m, a, a + 16)).getHostAddress());
                }
            } else if (type == 31) {
                dnsslLifetime = lifetime;
                dnssl.addAll(names(java.util.Arrays.copyOfRange(m, i + 8, i + len), 0));
            }
            i += len;
        }
        Inet6Address src = ip.getHeader().getSrcAddr();
        Inet6Address dst = ip.getHeader().getDstAddr();
        return new ReceivedAdvertisement(eth.getHeader().getSrcAddr().toString(),
                eth.getHeader().getDstAddr().toString(), src.getHostAddress(), dst.getHostAddress(),
                ip.getHeader().getHopLimitAsInt(), checksumValid(src, dst, m), h.getCurHopLimitAsInt(),
                h.getManagedAddressConfigurationFlag(), h.getOtherConfigurationFlag(), h.getRouterLifetimeAsInt(),
                h.getReachableTimeAsLong(), h.getRetransTimerAsLong(), sll, mtu, prefix, prefixLength, onLink,
                autonomous, valid, preferred, rdnss, rdnssLifetime, dnssl, dnsslLifetime, types);
    }

    /** The ICMPv6 checksum over the pseudo-header (RFC 8200 section 8.1) and the message sums to 0xffff. */
    private static boolean checksumValid(Inet6Address src, Inet6Address dst, byte[] message) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        all.writeBytes(src.getAddress());
        all.writeBytes(dst.getAddress());
        all.writeBytes(new byte[] {(byte) (message.length >>> 24), (byte) (message.length >>> 16),
            (byte) (message.length >>> 8), (byte) message.length, 0, 0, 0, 58});
        all.writeBytes(message);
        byte[] b = all.toByteArray();
        long sum = 0;
        for (int i = 0; i < b.length; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (i + 1 < b.length ? b[i + 1] & 0xff : 0);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return sum == 0xffff;
    }

    private static Inet6Address inet6(byte[] a) {
        try {
            return (Inet6Address) Inet6Address.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Uncompressed wire-format names from {@code at}; stops at the zero padding (RFC 8106 section 5.2). */
    static List<String> names(byte[] d, int at) {
        List<String> out = new ArrayList<>();
        int i = at;
        while (i < d.length && d[i] != 0) {
            StringBuilder name = new StringBuilder();
            while (d[i] != 0) {
                int len = d[i];
                if (len > 63) {
                    throw new AssertionError("compressed or bad label at " + i);
                }
                name.append(name.length() == 0 ? "" : ".").append(new String(d, i + 1, len,
                        java.nio.charset.StandardCharsets.US_ASCII));
                i += 1 + len;
            }
            i++;
            out.add(name.toString());
        }
        for (; i < d.length; i++) {
            if (d[i] != 0) {
                throw new AssertionError("padding not zero");
            }
        }
        return out;
    }

    /** Counts by option type, for checks that an option appears exactly once. */
    Map<Integer, Integer> optionCounts() {
        Map<Integer, Integer> m = new HashMap<>();
        optionTypes.forEach(t -> m.merge(t, 1, Integer::sum));
        return m;
    }
}
