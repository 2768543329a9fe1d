package dev.jslirp.nat.guestfwd;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.HostTarget;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * One guest forward, in QEMU's syntax {@code guestfwd=[tcp]:[server]:port-DEV}: the
 * guest's TCP connections to {@code server:port}, an address of the virtual network,
 * continue on the host at {@code DEV}, one of
 * <ul>
 *   <li>{@code tcp:HOST:PORT}, a TCP connection (HOST a name, an IPv4 address or an IPv6
 *       address in brackets; empty for the loopback), resolved once when parsed;</li>
 *   <li>{@code unix:PATH}, a unix stream socket;</li>
 *   <li>{@code cmd:COMMAND}, a command run by {@code /bin/sh -c} whose standard input and
 *       output carry the connection.</li>
 * </ul>
 * Unlike QEMU, where {@code tcp:} and {@code unix:} name a character device opened once
 * at start-up that all the guest's connections share, every guest connection gets a host
 * connection (or a process) of its own, as {@code cmd:} always had. QEMU's other character
 * devices ({@code file:}, {@code pipe:}, {@code udp:}...) and chardev options
 * ({@code ,server=on}) have no per-connection meaning and are refused.
 *
 * <p>An empty server is the network's address {@code .2.4} (10.0.2.4 by default), as
 * libslirp chooses; beyond QEMU (IPv4 only) the server may be an IPv6 address of the
 * network's prefix, in brackets: {@code guestfwd=tcp:[fec0::4]:80-tcp:127.0.0.1:8080}.
 *
 * @param server the server address, or null for the network's {@code .2.4}
 * @param port   the server port, 1..65535
 * @param target where connections go on the host
 * @param option the setting it came from, for messages ({@code guestfwd}, {@code smbserver})
 */
public record GuestForward(IpAddress server, int port, HostTarget target, String option) {
    /** The accepted form, for messages. */
    public static final String FORM = "[tcp]:[server]:port-DEV with DEV tcp:HOST:PORT, unix:PATH or cmd:COMMAND";
    /** libslirp's default server, {@code .2.4} within the network ({@code check_guestfwd}). */
    private static final int DEFAULT_SERVER_HOST_PART = 0x0204;

    /** Checks the fields. */
    public GuestForward {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(option, "option");
        if (port < 1 || port > 65535) {
            throw new ConfigException(option, "port " + port + " out of range (expected 1..65535)");
        }
    }

    /**
     * Parses QEMU's form (see the class comment).
     *
     * @throws ConfigException naming {@code guestfwd} and the accepted form
     */
    public static GuestForward parse(String spec) {
        String s = spec.trim();
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw bad(spec, "no ':'");
        }
        String proto = s.substring(0, colon);
        if (!proto.isEmpty() && !proto.toLowerCase(Locale.ROOT).equals("tcp")) {
            throw bad(spec, "protocol '" + proto + "': guest forwards are TCP only, as in QEMU");
        }
        String rest = s.substring(colon + 1);
        int serverEnd = rest.startsWith("[") ? rest.indexOf("]:") + 1 : rest.indexOf(':');
        if (serverEnd <= 0 && !rest.startsWith(":")) {
            throw bad(spec, "no server port");
        }
        IpAddress server = server(spec, rest.substring(0, serverEnd));
        rest = rest.substring(serverEnd + 1);
        int dash = rest.indexOf('-');
        if (dash < 0) {
            throw bad(spec, "no '-' before the device");
        }
        int port = port(spec, rest.substring(0, dash), "server port");
        return new GuestForward(server, port, target(spec, rest.substring(dash + 1)), "guestfwd");
    }

    private static IpAddress server(String spec, String text) {
        if (text.isEmpty()) {
            return null;
        }
        try {
            return IpAddress.parseInRule(text);
        } catch (IllegalArgumentException e) {
            throw bad(spec, "'" + text + "' is not a server address (an IPv4 address a.b.c.d or an IPv6 address in "
                    + "brackets, of the guest's network)");
        }
    }

    private static int port(String spec, String text, String what) {
        if (!text.isEmpty() && text.length() <= 5 && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            int p = Integer.parseInt(text);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        }
        throw bad(spec, "'" + text + "' is not a " + what + " (1..65535)");
    }

    private static HostTarget target(String spec, String dev) {
        int colon = dev.indexOf(':');
        String kind = colon < 0 ? dev : dev.substring(0, colon);
        String arg = colon < 0 ? "" : dev.substring(colon + 1);
        switch (kind) {
            case "cmd":
                if (arg.isBlank()) {
                    throw bad(spec, "cmd: without a command");
                }
                return new HostTarget.Command(arg);
            case "tcp":
                noOptions(spec, arg);
                return new HostTarget.Inet(tcpAddress(spec, arg));
            case "unix":
                noOptions(spec, arg);
                if (arg.isEmpty()) {
                    throw bad(spec, "unix: without a path");
                }
                if (arg.chars().anyMatch(c -> c < ' ' || c == 0x7f) || !arg.equals(arg.trim())) {
                    // found by fuzzing: a control character or a space at an end, which the rule's
                    // own parsing trims away when the printed rule is read again
                    throw bad(spec, "a control character or a space at an end of the unix socket path");
                }
                Path path;
                try {
                    // normalised, so that the rule prints as it parses back (found by fuzzing: "./")
                    path = Path.of(arg).toAbsolutePath().normalize();
                } catch (InvalidPathException e) {
                    throw bad(spec, "'" + arg + "' is not a path");
                }
                String printed = path.toString();
                if (!printed.equals(printed.trim())) {
                    // e.g. 'x   /' becomes '.../x   ' (fuzzing): as above, it would not read back
                    throw bad(spec, "a control character or a space at an end of the unix socket path");
                }
                return new HostTarget.Unix(path);
            default:
                throw bad(spec, "device '" + dev + "' (QEMU's other character devices have no meaning per "
                        + "connection)");
        }
    }

    /** QEMU's chardev options name one shared device's behaviour, which a connection per guest connection has not. */
    private static void noOptions(String spec, String arg) {
        if (arg.indexOf(',') >= 0) {
            throw bad(spec, "character device options ('" + arg.substring(arg.indexOf(',')) + "') are not "
                    + "supported: jslirp opens a connection of its own for each guest connection");
        }
    }

    private static InetSocketAddress tcpAddress(String spec, String arg) {
        int colon = arg.startsWith("[") ? arg.indexOf("]:") + 1 : arg.lastIndexOf(':');
        if (colon <= 0 && !arg.startsWith(":")) {
            throw bad(spec, "tcp:" + arg + " has no port (expected tcp:HOST:PORT)");
        }
        String host = arg.substring(0, colon);
        int port = port(spec, arg.substring(colon + 1), "port of tcp:HOST:PORT");
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            InetAddress a = host.isEmpty() ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host);
            return new InetSocketAddress(a, port);
        } catch (UnknownHostException e) {
            throw bad(spec, "cannot resolve '" + host + "'");
        }
    }

    private static ConfigException bad(String spec, String why) {
        return new ConfigException("guestfwd", "'" + spec + "': " + why + " (expected " + FORM
                + ", e.g. tcp:10.0.2.100:1234-tcp:127.0.0.1:8080)");
    }

    /**
     * The server address in {@code net}: the forward's own, or libslirp's default,
     * {@code .2.4} within the IPv4 network (10.0.2.4 for 10.0.2.0/24).
     */
    public IpAddress serverIn(NetworkConfig net) {
        if (server != null) {
            return server;
        }
        return IpAddress.ipv4(net.network() | (DEFAULT_SERVER_HOST_PART & ~Ipv4Address.mask(net.prefixLength())));
    }

    /** The same forward, named {@code otherOption} in messages. */
    public GuestForward from(String otherOption) {
        return new GuestForward(server, port, target, otherOption);
    }

    /** QEMU's form, with the server spelled out where set (IPv6 in brackets). */
    @Override
    public String toString() {
        return "tcp:" + (server == null ? "" : server.toUriString()) + ":" + port + "-" + target;
    }
}
