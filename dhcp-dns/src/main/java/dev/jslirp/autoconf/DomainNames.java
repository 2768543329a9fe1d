package dev.jslirp.autoconf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Domain names in DNS wire format (RFC 1035 section 3.1), one after the other and never
 * compressed, as the DNSSL option (RFC 8106 section 5.2) and DHCPv6's domain list
 * (RFC 8415 section 10, RFC 3646) want them. The names come from
 * {@link dev.jslirp.dhcp.DhcpConfig#dnsSearch()}, checked there (labels of 1..63
 * characters, no trailing dot).
 */
final class DomainNames {
    private DomainNames() {
    }

    /** The wire form of one name: length-prefixed labels, then the root's zero byte. */
    static byte[] wire(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(name.length() + 2);
        for (String label : name.split("\\.")) {
            byte[] l = label.getBytes(StandardCharsets.US_ASCII);
            out.write(l.length);
            out.writeBytes(l);
        }
        out.write(0);
        return out.toByteArray();
    }

    /**
     * As many of {@code names}, in order, as fit in {@code maxBytes} in all; a name that
     * does not fit ends the list (a search list is an ordered preference, so a later name
     * must not stand in for an earlier one).
     */
    static byte[] wire(List<String> names, int maxBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String n : names) {
            byte[] w = wire(n);
            if (out.size() + w.length > maxBytes) {
                break;
            }
            out.writeBytes(w);
        }
        return out.toByteArray();
    }

    /** How many of {@code names} {@link #wire(List, int)} keeps within {@code maxBytes}. */
    static int fitting(List<String> names, int maxBytes) {
        int used = 0;
        int n = 0;
        for (String name : names) {
            int len = wire(name).length;
            if (used + len > maxBytes) {
                break;
            }
            used += len;
            n++;
        }
        return n;
    }
}
