package dev.jslirp.transport.tap;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;

/**
 * What {@code --netns-static} gives the tap instead of DHCP and router advertisements:
 * for each family the network serves, one address and a default route.
 *
 * <ul>
 *   <li>IPv4: the first DHCP address with the network's prefix, default route via the
 *       gateway ({@code 10.0.2.15/24 via 10.0.2.2}), what the DHCP server would lease
 *       first.</li>
 *   <li>IPv6: the IPv6 prefix with an interface identifier that reads like the IPv4
 *       address's host part: its decimal digits taken as hexadecimal, so 10.0.2.15 gives
 *       {@code fec0::15/64}, and a default route via the router's link-local address
 *       {@code fe80::2}, as a router advertisement would give. A fixed, readable address
 *       (not the EUI-64 of the tap's MAC, which is random per tap) so port forwards and
 *       scripts can name it.</li>
 * </ul>
 *
 * @param ipv4             the IPv4 address, or null if the network has no IPv4 ({@code ipv4=off})
 * @param ipv4PrefixLength its prefix length
 * @param ipv4Gateway      the IPv4 default gateway
 * @param ipv6             the IPv6 address, or null if the network has no IPv6 ({@code ipv6=off})
 * @param ipv6PrefixLength its prefix length
 * @param ipv6Gateway      the IPv6 default gateway (link-local)
 */
public record StaticAddresses(IpAddress ipv4, int ipv4PrefixLength, IpAddress ipv4Gateway,
                              IpAddress ipv6, int ipv6PrefixLength, IpAddress ipv6Gateway) {
    /**
     * The addresses for a guest of {@code net}.
     *
     * @throws ConfigException naming {@code netns-static} if the IPv6 address made as
     *         above is not a guest address of {@code ipv6-net} (a prefix too long to hold it)
     */
    public static StaticAddresses of(NetworkConfig net) {
        IpAddress v4 = net.ipv4() ? IpAddress.ipv4(net.dhcpStart()) : null;
        IpAddress v6 = null;
        if (net.ipv6()) {
            long hostPart = net.dhcpStart() & ~net.netmask() & 0xffffffffL;
            long interfaceId = Long.parseLong(Long.toString(hostPart), 16);
            IpAddress prefix = net.ipv6Prefix();
            v6 = IpAddress.of(prefix.hi(), prefix.lo() | interfaceId);
            if (!net.inNetwork(v6.hi(), v6.lo()) || net.isOwnAddress(v6.hi(), v6.lo())) {
                throw new ConfigException("netns-static", "the static IPv6 address " + v6 + " (the IPv6 prefix and "
                        + "the digits of the first DHCP address's host part, " + hostPart + ") is not a guest address of "
                        + "ipv6-net=" + prefix + "/" + net.ipv6PrefixLength() + " (expected a prefix of at most "
                        + (128 - 4 * Long.toString(hostPart).length()) + " bits, e.g. fec0::/64)");
            }
        }
        return new StaticAddresses(v4, net.prefixLength(), IpAddress.ipv4(net.host()), v6, net.ipv6PrefixLength(),
                net.routerLinkLocal());
    }

    /** These addresses without the IPv6 one (the tap could not take it). */
    public StaticAddresses withoutIpv6() {
        return new StaticAddresses(ipv4, ipv4PrefixLength, ipv4Gateway, null, ipv6PrefixLength, ipv6Gateway);
    }

    /** What the start-up log says, e.g. {@code 10.0.2.15/24 and fec0::15/64, default routes via 10.0.2.2 and fe80::2}. */
    public String describe() {
        if (ipv4 == null && ipv6 == null) {
            return "no address (IPv6 is off on it)";
        }
        if (ipv4 != null && ipv6 != null) {
            return ipv4 + "/" + ipv4PrefixLength + " and " + ipv6 + "/" + ipv6PrefixLength + ", default routes via "
                    + ipv4Gateway + " and " + ipv6Gateway;
        }
        if (ipv4 != null) {
            return ipv4 + "/" + ipv4PrefixLength + " and a default route via " + ipv4Gateway;
        }
        return ipv6 + "/" + ipv6PrefixLength + " and a default route via " + ipv6Gateway;
    }
}
