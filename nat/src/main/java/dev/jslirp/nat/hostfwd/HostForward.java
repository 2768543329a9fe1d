package dev.jslirp.nat.hostfwd;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * One port forward from the host into the guest, in QEMU's syntax
 * {@code hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport}, where either
 * address may be IPv6 in brackets ({@code tcp:[::1]:2222-:22}), or, from a host unix
 * socket, {@code hostfwd=unix:PATH-[guestaddr]:guestport} (QEMU 7.1 with libslirp 4.7):
 * connections to the unix socket at PATH become TCP connections to the guest's port.
 *
 * <p>As in QEMU, an empty protocol means TCP, an empty host address means all host
 * addresses and an empty guest address means the first DHCP address. A unix PATH must be
 * absolute and fit a socket address (107 bytes); a socket file already there is replaced,
 * any other file is an error, as in QEMU; beyond QEMU, PATH may contain {@code -} (the
 * guest part starts after the last one).
 *
 * @param protocol     TCP, UDP, or UNIX (a stream socket on the host, TCP in the guest)
 * @param hostAddress  where the host listens, null for all addresses (null for UNIX)
 * @param hostPort     the host port; 0 asks the system for a free one (0 for UNIX)
 * @param guestAddress the guest address, or null for "the first DHCP address"
 * @param guestPort    the guest port
 * @param hostPath     the unix socket's path for UNIX, else null
 */
public record HostForward(Protocol protocol, IpAddress hostAddress, int hostPort, IpAddress guestAddress,
                          int guestPort, Path hostPath) {
    /** The protocols a forward carries; UNIX listens on a unix socket and carries TCP to the guest. */
    public enum Protocol { TCP, UDP, UNIX }

    private static final String FORM = "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport or "
            + "unix:PATH-[guestaddr]:guestport";
    /** The longest path a {@code struct sockaddr_un} holds, with its terminating NUL (Linux: 108 bytes). */
    public static final int MAX_UNIX_PATH = 107;

    /** A forward of TCP or UDP. */
    public HostForward(Protocol protocol, IpAddress hostAddress, int hostPort, IpAddress guestAddress, int guestPort) {
        this(protocol, hostAddress, hostPort, guestAddress, guestPort, null);
    }

    /** A forward from the host unix socket at {@code path} to the guest's TCP port. */
    public static HostForward unix(Path path, IpAddress guestAddress, int guestPort) {
        return new HostForward(Protocol.UNIX, null, 0, guestAddress, guestPort, path);
    }

    /** A forward from IPv4 int addresses, 0 meaning unset (for callers of the IPv4-only era). */
    public HostForward(Protocol protocol, int hostAddress, int hostPort, int guestAddress, int guestPort) {
        this(protocol, hostAddress == 0 ? null : IpAddress.ipv4(hostAddress), hostPort,
                guestAddress == 0 ? null : IpAddress.ipv4(guestAddress), guestPort);
    }

    /** Checks ports, and that a path comes with UNIX and only with it. */
    public HostForward {
        Objects.requireNonNull(protocol, "protocol");
        if (hostPort < 0 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) {
            throw new ConfigException("hostfwd", "port out of range (expected " + FORM + ", ports 1..65535)");
        }
        if ((protocol == Protocol.UNIX) != (hostPath != null) || (hostPath != null && (hostAddress != null
                || hostPort != 0))) {
            throw new IllegalArgumentException("a unix forward has a path and no host address or port; others no path");
        }
        if (hostPath != null) {
            checkPath(hostPath.toString(), hostPath.toString());
        }
    }

    private static void checkPath(String spec, String path) {
        if (path.isEmpty()) {
            throw new ConfigException("hostfwd", "'" + spec + "': no unix socket path (expected " + FORM + ")");
        }
        if (!path.startsWith("/")) {
            throw new ConfigException("hostfwd", "'" + spec + "': the unix socket path must be absolute");
        }
        if (path.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_UNIX_PATH) {
            throw new ConfigException("hostfwd", "'" + spec + "': the unix socket path is too long (at most "
                    + MAX_UNIX_PATH + " bytes)");
        }
    }

    /**
     * Parses QEMU's form.
     *
     * @throws ConfigException naming {@code hostfwd} and the accepted form
     */
    public static HostForward parse(String spec) {
        String s = spec.trim();
        if (s.regionMatches(true, 0, "unix:", 0, 5)) {
            return parseUnix(spec, s.substring(5));
        }
        int dash = s.indexOf('-');
        if (dash < 0) {
            throw bad(spec);
        }
        String hostPart = s.substring(0, dash);
        String guestPart = s.substring(dash + 1);
        String[] h = splitBracketed(hostPart, 3);
        if (h == null) {
            throw bad(spec);
        }
        Protocol proto;
        switch (h[0].toLowerCase(Locale.ROOT)) {
            case "":
            case "tcp":
                proto = Protocol.TCP;
                break;
            case "udp":
                proto = Protocol.UDP;
                break;
            default:
                throw new ConfigException("hostfwd", "'" + spec + "': protocol '" + h[0] + "' (expected tcp or udp; form " + FORM + ")");
        }
        IpAddress hostAddr = address(spec, h[1]);
        int hostPort = port(spec, h[2], true);
        String[] g = splitBracketed(guestPart, 2);
        if (g == null) {
            throw bad(spec);
        }
        IpAddress guestAddr = address(spec, g[0]);
        int guestPort = port(spec, g[1], false);
        return new HostForward(proto, hostAddr, hostPort, guestAddr, guestPort);
    }

    /** {@code PATH-[guestaddr]:guestport}, the guest part after the last {@code -}. */
    private static HostForward parseUnix(String spec, String rest) {
        int dash = rest.lastIndexOf('-');
        if (dash < 0) {
            throw bad(spec);
        }
        String path = rest.substring(0, dash);
        checkPath(spec, path);
        String[] g = splitBracketed(rest.substring(dash + 1), 2);
        if (g == null) {
            throw bad(spec);
        }
        try {
            return unix(Path.of(path), address(spec, g[0]), port(spec, g[1], false));
        } catch (InvalidPathException e) {
            throw new ConfigException("hostfwd", "'" + spec + "': '" + path + "' is not a path");
        }
    }

    /**
     * Splits at colons outside brackets into exactly {@code parts} pieces (an IPv6
     * address keeps its colons inside {@code [...]}), or null.
     */
    private static String[] splitBracketed(String text, int parts) {
        String[] out = new String[parts];
        int n = 0;
        int start = 0;
        int depth = 0;
        for (int i = 0; i <= text.length(); i++) {
            char c = i < text.length() ? text.charAt(i) : ':';
            if (c == '[') {
                depth++;
            } else if (c == ']') {
                depth--;
            } else if (c == ':' && depth == 0) {
                if (n == parts) {
                    return null;
                }
                out[n++] = text.substring(start, i);
                start = i + 1;
            }
        }
        return n == parts && depth == 0 ? out : null;
    }

    private static IpAddress address(String spec, String text) {
        if (text.isEmpty()) {
            return null;
        }
        try {
            return IpAddress.parseInRule(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("hostfwd", "'" + spec + "': '" + text + "' is not an address (an IPv4 address "
                    + "a.b.c.d or an IPv6 address in brackets, e.g. [::1]; form " + FORM + ")");
        }
    }

    private static int port(String spec, String text, boolean zeroOk) {
        try {
            int p = Integer.parseInt(text);
            if (p < (zeroOk ? 0 : 1) || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new ConfigException("hostfwd", "'" + spec + "': '" + text + "' is not a port (form " + FORM + ")");
        }
    }

    private static ConfigException bad(String spec) {
        return new ConfigException("hostfwd", "'" + spec + "' (expected " + FORM + ", e.g. tcp::2222-:22)");
    }

    /** QEMU's form, with addresses spelled out where set (IPv6 in brackets). */
    @Override
    public String toString() {
        String guest = "-" + (guestAddress == null ? "" : guestAddress.toUriString()) + ":" + guestPort;
        if (hostPath != null) {
            return "unix:" + hostPath + guest;
        }
        return protocol.name().toLowerCase(Locale.ROOT) + ":" + (hostAddress == null ? "" : hostAddress.toUriString())
                + ":" + hostPort + guest;
    }

    /** How messages and listings name the host end: {@code unix:PATH}, or {@code ADDRESS:PORT} ({@code *} for all addresses). */
    public String hostEnd(int boundPort) {
        return hostPath != null ? "unix:" + hostPath : HostForwards.hostText(hostAddress) + ":" + boundPort;
    }

    /**
     * True if this forward listens where {@code address:port} names: the same host
     * address (null for all addresses) and the configured or the {@code boundPort}.
     */
    public boolean listensOn(IpAddress address, int port, int boundPort) {
        return hostPath == null && java.util.Objects.equals(hostAddress, address) && (hostPort == port || boundPort == port);
    }

    /** True if this forward listens on the unix socket at {@code path}. */
    public boolean listensOn(Path path) {
        return hostPath != null && hostPath.equals(path);
    }

    /**
     * The guest address connections and datagrams go to: the forward's own, or the first
     * DHCP address of {@code net} (QEMU's default for an empty guest address). The one
     * place this rule lives.
     *
     * @throws ConfigException naming {@code hostfwd} if the forward's own address is not
     *         one a guest of {@code net} can have
     */
    public IpAddress guestAddressIn(NetworkConfig net) {
        if (guestAddress == null) {
            return IpAddress.ipv4(net.dhcpStart());
        }
        long hi = guestAddress.hi();
        long lo = guestAddress.lo();
        boolean ok;
        if (guestAddress.isIpv4()) {
            int a = guestAddress.ipv4();
            ok = net.ipv4() && net.inNetwork(a) && !net.isOwnAddress(a) && a != net.network() && a != net.broadcast();
        } else {
            ok = net.ipv6() && net.inNetwork(hi, lo) && !net.isOwnAddress(hi, lo);
        }
        if (!ok) {
            throw new ConfigException("hostfwd", "'" + this + "': " + guestAddress + " is not a guest address of net "
                    + (guestAddress.isIpv4() ? IpAddress.ipv4(net.network()) + "/" + net.prefixLength()
                    : net.ipv6Prefix() + "/" + net.ipv6PrefixLength()));
        }
        return guestAddress;
    }

    /** Where a TCP or UDP forward's socket listens: the host address (all addresses of both families for none) and port. */
    public InetSocketAddress listenAddress() {
        return hostAddress == null ? new InetSocketAddress(hostPort)
                : new InetSocketAddress(hostAddress.toInetAddress(), hostPort);
    }
}
