package dev.jslirp.control;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.hostfwd.HostForward;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The rules of HMP's {@code hostfwd_add} and {@code hostfwd_remove}, read the way QEMU
 * reads them ({@code slirp_hostfwd} and {@code hmp_hostfwd_remove} in QEMU's
 * net/slirp.c): the fields are cut at the first separator each, in order, and a
 * mistake is reported with QEMU's own words:
 * {@code Invalid host forwarding rule 'RULE' (Bad host port)} for {@code hostfwd_add},
 * {@code invalid format} for {@code hostfwd_remove}.
 *
 * <p>Differences from QEMU: ports are decimal (QEMU's {@code qemu_strtoi} with base 0
 * also takes {@code 0x50} and reads {@code 022} as octal; jslirp's {@code --hostfwd}
 * takes decimal only, and so does this); addresses are dotted quads (QEMU's
 * {@code inet_aton} also takes {@code 127.1}). The protocol name is accepted in any case,
 * as by {@code --hostfwd}. Beyond QEMU (whose rules are IPv4 only), either address may be
 * IPv6 in brackets: {@code tcp:[::1]:2222-:22}.
 *
 * <p>{@code unix:PATH-[guestaddr]:guestport} forwards a host unix socket, with QEMU's
 * reasons for its mistakes (QEMU 7.1 with libslirp 4.7); unlike QEMU's, PATH may contain
 * {@code -} (the guest part follows the last one), and {@code hostfwd_remove unix:PATH}
 * removes such a forward (QEMU's cannot).
 */
final class HmpHostfwd {
    /** The rule of {@code hostfwd_add}. */
    static final String ADD_FORM = "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport | unix:PATH-[guestaddr]:guestport";
    /** The rule of {@code hostfwd_remove}. */
    static final String REMOVE_FORM = "[tcp|udp]:[hostaddr]:hostport | unix:PATH";

    private HmpHostfwd() {
    }

    /** A rule that cannot be read; the message is the one to show. */
    static final class BadRule extends Exception {
        private static final long serialVersionUID = 1L;

        BadRule(String message) {
            super(message, null, false, false);
        }
    }

    /** The host end of a forward, as {@code hostfwd_remove} names it; a unix socket by its path. */
    record HostEnd(HostForward.Protocol protocol, IpAddress hostAddress, int hostPort, Path hostPath) {
        HostEnd(HostForward.Protocol protocol, IpAddress hostAddress, int hostPort) {
            this(protocol, hostAddress, hostPort, null);
        }
    }

    /**
     * Reads {@code hostfwd_add}'s rule.
     *
     * @throws BadRule with QEMU's message and reason
     */
    static HostForward parseAdd(String rule) throws BadRule {
        Cursor c = new Cursor(rule);
        String proto = c.until(':');
        if (proto == null) {
            throw invalid(rule, "No : separators");
        }
        if (proto.equalsIgnoreCase("unix")) {
            return parseUnix(rule, c.rest());
        }
        HostForward.Protocol protocol = protocol(proto);
        if (protocol == null) {
            throw invalid(rule, "Bad protocol name");
        }
        String hostAddr = c.until(':');
        if (hostAddr == null) {
            throw invalid(rule, "Missing : separator");
        }
        IpAddress host = address(hostAddr);
        if (host == BAD) {
            throw invalid(rule, "Bad host address");
        }
        String hostPortText = c.until('-');
        if (hostPortText == null) {
            throw invalid(rule, "Bad host port separator");
        }
        int hostPort = port(hostPortText);
        if (hostPort < 0) {
            throw invalid(rule, "Bad host port");
        }
        GuestPart guest = guestPart(rule, c);
        return new HostForward(protocol, host, hostPort, guest.address(), guestPort(rule, c), null, guest.name());
    }

    /** A forward's guest: an address (null: the first DHCP address), or a host name or MAC it follows. */
    private record GuestPart(IpAddress address, String name) {
    }

    /** The guest part's address or name, {@code [guestaddr|name|[mac]]:}, which the cursor stands at. */
    private static GuestPart guestPart(String rule, Cursor c) throws BadRule {
        String guestAddr = c.until(':');
        if (guestAddr == null) {
            throw invalid(rule, "Missing guest address");
        }
        // jslirp's addition: a guest by its DHCP host name or MAC, which the forward follows.
        String name = HostForward.guestName(guestAddr);
        IpAddress guest = name != null ? null : address(guestAddr);
        if (guest == BAD) {
            throw invalid(rule, "Bad guest address");
        }
        return new GuestPart(guest, name);
    }

    private static int guestPort(String rule, Cursor c) throws BadRule {
        int guestPort = port(c.rest());
        if (guestPort < 1) {
            throw invalid(rule, "Bad guest port");
        }
        return guestPort;
    }

    /** {@code PATH-[guestaddr]:guestport} after {@code unix:}, with QEMU's reasons. */
    private static HostForward parseUnix(String rule, String rest) throws BadRule {
        int dash = rest.lastIndexOf('-');
        if (dash < 0) {
            throw invalid(rule, "Missing - separator");
        }
        String path = unixPath(rule, rest.substring(0, dash));
        Cursor c = new Cursor(rest.substring(dash + 1));
        GuestPart guest = guestPart(rule, c);
        int guestPort = guestPort(rule, c);
        try {
            return new HostForward(HostForward.Protocol.UNIX, null, 0, guest.address(), guestPort, Path.of(path),
                    guest.name());
        } catch (InvalidPathException e) {
            throw invalid(rule, "Bad unix socket path");
        }
    }

    private static String unixPath(String rule, String path) throws BadRule {
        if (path.isEmpty()) {
            throw invalid(rule, "Missing unix socket path");
        }
        if (!path.startsWith("/")) {
            throw invalid(rule, "unix socket path must be absolute");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > HostForward.MAX_UNIX_PATH) {
            throw invalid(rule, "Unix socket path is too long");
        }
        return path;
    }

    /**
     * Reads {@code hostfwd_remove}'s argument.
     *
     * @throws BadRule with QEMU's {@code invalid format}, and the form expected
     */
    static HostEnd parseRemove(String rule) throws BadRule {
        if (rule.regionMatches(true, 0, "unix:", 0, 5) && rule.length() > 5) {
            String path = rule.substring(5);
            try {
                if (path.startsWith("/") && path.getBytes(StandardCharsets.UTF_8).length <= HostForward.MAX_UNIX_PATH) {
                    return new HostEnd(HostForward.Protocol.UNIX, null, 0, Path.of(path));
                }
            } catch (InvalidPathException e) {
                // invalid format, below
            }
        }
        Cursor c = new Cursor(rule);
        String proto = c.until(':');
        HostForward.Protocol protocol = proto == null ? null : protocol(proto);
        String hostAddr = protocol == null ? null : c.until(':');
        IpAddress host = hostAddr == null ? BAD : address(hostAddr);
        int port = hostAddr == null ? -1 : port(c.rest());
        if (protocol == null || host == BAD || port < 0) {
            throw new BadRule("invalid format: '" + rule + "' (expected " + REMOVE_FORM + ", e.g. tcp::2222)");
        }
        return new HostEnd(protocol, host, port);
    }

    private static BadRule invalid(String rule, String reason) {
        return new BadRule("Invalid host forwarding rule '" + rule + "' (" + reason + ")");
    }

    /** TCP for {@code tcp} or nothing, UDP for {@code udp}, else null. */
    private static HostForward.Protocol protocol(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "":
            case "tcp":
                return HostForward.Protocol.TCP;
            case "udp":
                return HostForward.Protocol.UDP;
            default:
                return null;
        }
    }

    /** What {@link #address} returns for text that is no address. */
    private static final IpAddress BAD = IpAddress.parse("::ffff:255.255.255.254");

    /**
     * Null for an empty address (all addresses, or the first DHCP address), the address
     * (IPv4 as a dotted quad, IPv6 in brackets), or {@link #BAD}.
     */
    private static IpAddress address(String text) {
        if (text.isEmpty()) {
            return null;
        }
        try {
            return IpAddress.parseInRule(text);
        } catch (IllegalArgumentException e) {
            return BAD;
        }
    }

    /** A decimal port 0..65535, or -1. */
    private static int port(String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            return -1;
        }
        int p = Integer.parseInt(text);
        return p <= 65535 ? p : -1;
    }

    /** QEMU's {@code get_str_sep}: the text up to the next separator, consumed with it. */
    private static final class Cursor {
        private final String text;
        private int at;

        Cursor(String text) {
            this.text = text;
        }

        /**
         * The text before the next {@code sep}, or null if there is none (nothing consumed
         * then); a field that opens with {@code [} runs to its {@code ]} first.
         */
        String until(char sep) {
            int from = at;
            if (from < text.length() && text.charAt(from) == '[') {
                int close = text.indexOf(']', from);
                from = close < 0 ? from : close;
            }
            int i = text.indexOf(sep, from);
            if (i < 0) {
                return null;
            }
            String field = text.substring(at, i);
            at = i + 1;
            return field;
        }

        /** What is left. */
        String rest() {
            return text.substring(at);
        }
    }
}
