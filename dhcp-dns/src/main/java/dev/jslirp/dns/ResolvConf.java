package dev.jslirp.dns;

import dev.jslirp.core.wire.IpAddress;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the nameservers of a resolv.conf(5) file as the host's own C library would:
 * {@code nameserver ADDRESS} lines, at most {@value #MAX_NAMESERVERS} (glibc's
 * {@code MAXNS}); lines starting with {@code #} or {@code ;} are comments, other
 * keywords ({@code search}, {@code options}...) are ignored, and so is anything after
 * the address. Nameservers of both families count, in order: an IPv6 one may carry a
 * zone ({@code fe80::1%eth0}, by interface name or index, as glibc reads it); a
 * link-local one without a zone, or with a zone naming no interface, names no
 * reachable server and is skipped. A file without any nameserver line, or no file at
 * all, means 127.0.0.1, as glibc and musl default to a resolver on the local host.
 *
 * <p>Blocking file I/O: call it off the event loop.
 */
final class ResolvConf {
    /** Nameservers glibc uses at most ({@code MAXNS} in resolv.h). */
    static final int MAX_NAMESERVERS = 3;
    private static final Logger LOG = LoggerFactory.getLogger(ResolvConf.class);
    private static final String KEYWORD = "nameserver";

    private ResolvConf() {
    }

    /** The nameservers of the file at {@code path}, on {@code port}; see the class comment. */
    static List<InetSocketAddress> read(Path path, int port) {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            LOG.debug("cannot read {} ({}); using 127.0.0.1 as the C library would", path, e.toString());
            lines = List.of();
        }
        return parse(lines, port);
    }

    /** The nameservers of resolv.conf {@code lines}, on {@code port}. */
    static List<InetSocketAddress> parse(List<String> lines, int port) {
        List<InetSocketAddress> servers = new ArrayList<>();
        boolean anyNameserverLine = false;
        for (String line : lines) {
            if (!line.startsWith(KEYWORD) || line.length() == KEYWORD.length()
                    || !isBlank(line.charAt(KEYWORD.length()))) {
                continue;   // comment, other keyword, or e.g. "nameservers"
            }
            anyNameserverLine = true;
            String address = firstToken(line.substring(KEYWORD.length()));
            if (address.isEmpty() || servers.size() == MAX_NAMESERVERS) {
                continue;
            }
            InetAddress a = nameserver(address);
            if (a != null) {
                servers.add(new InetSocketAddress(a, port));
            }
        }
        if (!anyNameserverLine) {
            servers.add(new InetSocketAddress(IpAddress.V4_LOOPBACK.toInetAddress(), port));
        }
        return List.copyOf(servers);
    }

    /** The address of a {@code nameserver} line, or null (logged) if it names no usable server. */
    private static InetAddress nameserver(String text) {
        int percent = text.indexOf('%');
        String literal = percent < 0 ? text : text.substring(0, percent);
        IpAddress a;
        try {
            a = IpAddress.parse(literal);
        } catch (IllegalArgumentException e) {
            LOG.debug("resolv.conf: skipping nameserver '{}': not an IP address", text);
            return null;
        }
        if (a.isIpv4()) {
            return percent < 0 ? a.toInetAddress() : null;
        }
        if (percent < 0) {
            if (a.isLinkLocal()) {
                LOG.debug("resolv.conf: skipping nameserver {}: link-local without a zone", text);
                return null;
            }
            return a.toInetAddress();
        }
        return scoped(a, text.substring(percent + 1), text);
    }

    /** {@code a} in the zone {@code zone} (an interface name or index), or null if there is no such interface. */
    private static InetAddress scoped(IpAddress a, String zone, String text) {
        try {
            if (!zone.isEmpty() && zone.chars().allMatch(Character::isDigit)) {
                return Inet6Address.getByAddress(null, a.toIpv6Bytes(), Integer.parseInt(zone));
            }
            NetworkInterface nif = NetworkInterface.getByName(zone);
            if (nif != null) {
                return Inet6Address.getByAddress(null, a.toIpv6Bytes(), nif);
            }
        } catch (UnknownHostException | SocketException | NumberFormatException e) {
            // falls through to the skip below
        }
        LOG.debug("resolv.conf: skipping nameserver {}: no interface {}", text, zone);
        return null;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    private static String firstToken(String rest) {
        int start = 0;
        while (start < rest.length() && isBlank(rest.charAt(start))) {
            start++;
        }
        int end = start;
        while (end < rest.length() && !isBlank(rest.charAt(end)) && rest.charAt(end) != '#'
                && rest.charAt(end) != ';') {
            end++;
        }
        return rest.substring(start, end);
    }
}
