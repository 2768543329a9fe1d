package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.wire.IpAddress;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The addresses the kernel forms from an interface's MAC (modified EUI-64, RFC 4291
 * appendix A, Linux's default {@code addr_gen_mode}): what a test expects for the tap's
 * link-local address and its SLAAC address.
 */
final class Eui64 {
    private static final Pattern ETHER = Pattern.compile("link/ether ([0-9a-f:]{17})");

    private Eui64() {
    }

    /** The MAC of {@code ifname} in {@code ns}, as {@code ip link} shows it. */
    static String macOf(TestNamespace ns, String ifname) throws Exception {
        String link = ns.exec(Duration.ofSeconds(10), "ip", "-o", "link", "show", "dev", ifname).ok("ip link").output();
        Matcher m = ETHER.matcher(link);
        assertThat(m.find()).as(link).isTrue();
        return m.group(1);
    }

    /** The address of {@code prefix} (a /64, e.g. {@code fe80::}) with the interface identifier of {@code mac}. */
    static String address(String prefix, String mac) {
        return IpAddress.parse(prefix).withInterfaceId(interfaceId(mac.split(":"))).toString();
    }

    /** The MAC's six octets with ff:fe in the middle and the universal/local bit flipped. */
    private static long interfaceId(String[] mac) {
        long id = Integer.parseInt(mac[0], 16) ^ 0x02;
        id = (id << 8) | Integer.parseInt(mac[1], 16);
        id = (id << 8) | Integer.parseInt(mac[2], 16);
        id = (id << 16) | 0xfffe;
        id = (id << 8) | Integer.parseInt(mac[3], 16);
        id = (id << 8) | Integer.parseInt(mac[4], 16);
        return (id << 8) | Integer.parseInt(mac[5], 16);
    }
}
