package dev.jslirp.nat.hostfwd;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.MacAddress;
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
 * <p>jslirp also takes a guest by name instead of an address, for a network of several
 * VMs whose addresses may change: its DHCP host name ({@code tcp::2222-vm1:22}, or
 * qualified with the network's domain) or its MAC in brackets
 * ({@code tcp::2222-[52:54:00:12:34:56]:22}). Such a forward follows the VM across lease
 * changes: each connection (or each new UDP peer) goes to the address the guest holds at
 * that moment ({@link GuestLocator}), and is refused while no lease has that name or MAC.
 *
 * @param protocol     TCP, UDP, or UNIX (a stream socket on the host, TCP in the guest)
 * @param hostAddress  where the host listens, null for all addresses (null for UNIX)
 * @param hostPort     the host port; 0 asks the system for a free one (0 for UNIX)
 * @param guestAddress the guest address, or null for "the first DHCP address" (or a guest name)
 * @param guestPort    the guest port
 * @param hostPath     the unix socket's path for UNIX, else null
 * @param guestName    the guest's host name (lower case) or MAC ({@code aa:bb:cc:dd:ee:ff}) the
 *                     forward follows, or null for a forward to an address
 */
public record HostForward(Protocol protocol, IpAddress hostAddress, int hostPort, IpAddress guestAddress,
                          int guestPort, Path hostPath, String guestName) {
    /** The protocols a forward carries; UNIX listens on a unix socket and carries TCP to the guest. */
    public enum Protocol { TCP, UDP, UNIX }

    private static final String FORM = "[tcp|udp]:[hostaddr]:hostport-[guestaddr|name|[mac]]:guestport or "
            + "unix:PATH-[guestaddr|name|[mac]]:guestport";
    /** The longest path a {@code struct sockaddr_un} holds, with its terminating NUL (Linux: 108 bytes). */
    public static final int MAX_UNIX_PATH = 107;
    /** A DNS name of labels (RFC 1123 section 2.1), which is what a guest name must be. */
    private static final java.util.regex.Pattern NAME =
            java.util.regex.Pattern.compile("(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    /** A forward of TCP or UDP to a guest address (null: the first DHCP address). */
    public HostForward(Protocol protocol, IpAddress hostAddress, int hostPort, IpAddress guestAddress, int guestPort) {
        this(protocol, hostAddress, hostPort, guestAddress, guestPort, null, null);
    }

    /** A forward from the host unix socket at {@code path} to the guest's TCP port. */
    public static HostForward unix(Path path, IpAddress guestAddress, int guestPort) {
        return new HostForward(Protocol.UNIX, null, 0, guestAddress, guestPort, path, null);
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
        String name = guestName(g[0]);
        IpAddress guestAddr = name == null ? address(spec, g[0]) : null;
        int guestPort = port(spec, g[1], false);
        return new HostForward(proto, hostAddr, hostPort, guestAddr, guestPort, null, name);
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
            String name = guestName(g[0]);
            return new HostForward(Protocol.UNIX, null, 0, name == null ? address(spec, g[0]) : null,
                    port(spec, g[1], false), Path.of(path), name);
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

    /**
     * The guest name {@code text} stands for, as a forward's guest part may give it: a MAC in
     * brackets ({@code aa:bb:cc:dd:ee:ff}, the form returned) or a host name (lower-cased);
     * null for an address or anything else.
     */
    public static String guestName(String text) {
        if (text.startsWith("[") && text.endsWith("]")) {
            try {
                return MacAddress.toString(MacAddress.parse(text.substring(1, text.length() - 1)));
            } catch (IllegalArgumentException e) {
                return null;            // an IPv6 address, or nothing: address() says
            }
        }
        boolean address;
        try {
            IpAddress.parse(text);
            address = true;
        } catch (IllegalArgumentException e) {
            address = false;
        }
        return !address && !text.isEmpty() && NAME.matcher(text).matches() && !text.matches("[0-9.]+")
                ? text.toLowerCase(Locale.ROOT) : null;
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
        String guest = "-" + (guestName != null ? (guestName.contains(":") ? "[" + guestName + "]" : guestName)
                : guestAddress == null ? "" : guestAddress.toUriString()) + ":" + guestPort;
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
        if (guestName != null) {
            throw new IllegalStateException(this + " follows a guest by name: resolve it with a GuestLocator");
        }
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

    /**
     * The guest address connections and datagrams go to now: for a forward to an address,
     * {@link #guestAddressIn}; for one that follows a guest by name or MAC, what
     * {@code locator} says it holds, or null while no guest does.
     */
    public IpAddress guestAddressNow(NetworkConfig net, GuestLocator locator) {
        if (guestName == null) {
            return guestAddressIn(net);
        }
        return locator == null ? null : locator.locate(guestName);
    }

    /** Where a TCP or UDP forward's socket listens: the host address (all addresses of both families for none) and port. */
    public InetSocketAddress listenAddress() {
        return hostAddress == null ? new InetSocketAddress(hostPort)
                : new InetSocketAddress(hostAddress.toInetAddress(), hostPort);
    }
}
