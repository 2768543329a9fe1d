package dev.jslirp.dns;

import dev.jslirp.core.wire.Ipv4Address;
import java.io.IOException;
import java.net.InetSocketAddress;
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
 * the address. IPv6 nameservers are skipped: the service's upstream sockets are IPv4.
 * A file without any nameserver line, or no file at all, means 127.0.0.1, as glibc
 * and musl default to a resolver on the local host.
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

    /** The IPv4 nameservers of the file at {@code path}, on {@code port}; see the class comment. */
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

    /** The IPv4 nameservers of resolv.conf {@code lines}, on {@code port}. */
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
            if (address.indexOf(':') >= 0) {
                LOG.debug("resolv.conf: skipping IPv6 nameserver {}", address);
                continue;
            }
            try {
                servers.add(new InetSocketAddress(Ipv4Address.toInetAddress(Ipv4Address.parse(address)), port));
            } catch (IllegalArgumentException e) {
                LOG.debug("resolv.conf: skipping nameserver '{}': not an IPv4 address", address);
            }
        }
        if (!anyNameserverLine) {
            servers.add(new InetSocketAddress(Ipv4Address.toInetAddress(Ipv4Address.parse("127.0.0.1")), port));
        }
        return List.copyOf(servers);
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
