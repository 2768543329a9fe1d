package dev.jslirp.slirp4netns;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.tap.TapOptions;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The slirp4netns command line, checked: every value as slirp4netns 1.2 checks it
 * ({@code parse_args} and {@code slirp4netns_config_from_options} in its main.c), with
 * its messages, and then against what jslirp supports, saying so where they differ.
 *
 * @param target              the namespace and how to reach it
 * @param tapName             the interface, created if missing
 * @param mtu                 {@code -m}: the tap's MTU and the network's
 * @param addresses           {@code --cidr} and what follows from it
 * @param configure           {@code -c}: address, route and links up in the namespace
 * @param mac                 {@code --macaddress}, or -1
 * @param disableHostLoopback {@code --disable-host-loopback}
 * @param disableDns          {@code --disable-dns}
 * @param ipv6                {@code --enable-ipv6}: IPv6 as slirp4netns gives it (fd00::/64,
 *                            router fd00::2, DNS fd00::3, addresses by SLAAC)
 * @param outboundAddress     {@code --outbound-addr}, or null
 * @param outboundAddress6    {@code --outbound-addr6}, or null
 * @param apiSocket           {@code -a}, or null
 * @param readyFd             {@code -r}, or null
 * @param exitFd              {@code -e}, or null
 * @param seccomp             {@code --enable-seccomp}: install {@link SyscallFilter} once started
 * @param warnings            lines slirp4netns would print for the options (deprecated
 *                            spellings, experimental features) and jslirp's notes on
 *                            what it accepts without applying
 */
record Slirp4netnsOptions(NamespaceTarget target, String tapName, int mtu, SlirpAddresses addresses, boolean configure,
                          long mac, boolean disableHostLoopback, boolean disableDns, boolean ipv6,
                          InetAddress outboundAddress, InetAddress outboundAddress6, Path apiSocket, InheritedFd readyFd, InheritedFd exitFd, boolean seccomp,
                          List<String> warnings) {
    /** slirp4netns's {@code DEFAULT_MTU}. */
    static final int DEFAULT_MTU = 1500;
    /** The largest MTU slirp4netns takes (libslirp's {@code IF_MTU_MAX}). */
    static final int SLIRP4NETNS_MAX_MTU = 65521;
    /** jslirp's range ({@code NetworkConfig}): QEMU's {@code mtu=} range. */
    static final int MIN_MTU = 576;
    static final int MAX_MTU = 65520;

    /** The command line as typed: the last value of each option, or null; flags as given. */
    record Raw(String exitFd, String readyFd, String mtu, String cidr, String netnsType, String userns,
               String apiSocket, String outboundAddr, String outboundAddr6, String macaddress, String targetType,
               boolean configure, boolean disableHostLoopback, boolean deprecatedNoHostLoopback, boolean ipv6,
               boolean sandbox, boolean deprecatedCreateSandbox, boolean seccomp, boolean disableDns,
               List<String> arguments) {
    }

    /**
     * Checks {@code raw} as slirp4netns would, then against jslirp.
     *
     * @throws UsageException naming the option at fault
     */
    static Slirp4netnsOptions check(Raw raw) {
        List<String> warnings = new ArrayList<>();
        if (raw.deprecatedNoHostLoopback()) {
            warnings.add("WARNING: --no-host-loopback is deprecated and will be removed in future releases, please use "
                    + "--disable-host-loopback instead.");
        }
        if (raw.deprecatedCreateSandbox()) {
            warnings.add("WARNING: --create-sandbox is deprecated and will be removed in future releases, please use "
                    + "--enable-sandbox instead.");
        }
        if (raw.outboundAddr6() != null && !raw.ipv6()) {
            // slirp4netns takes it and libslirp never uses it: without -6 there are no IPv6 flows.
            warnings.add("WARNING: --outbound-addr6 has no effect without --enable-ipv6");
        }
        if (raw.targetType() != null && !raw.targetType().equals("netns")) {
            throw UsageException.invalid("--target-type", raw.targetType(), raw.targetType().equals("bess")
                    ? "BESS mode is not supported by jslirp (expected netns)"
                    : "--target-type must be either \"netns\" or \"bess\"");
        }
        if (raw.sandbox() || raw.deprecatedCreateSandbox()) {
            warnings.add("WARNING: --enable-sandbox is accepted but not applied: a JVM cannot confine itself the way "
                    + "slirp4netns does (mount namespaces, pivot_root and capabilities are per thread, and the JVM "
                    + "keeps loading classes and native libraries from the file system); confine jslirp from outside "
                    + "(a systemd unit's sandboxing, a container) instead");
        }
        if (raw.seccomp()) {
            warnings.add("WARNING: Support for seccomp is experimental"); // slirp4netns's words
        }
        InheritedFd exit = raw.exitFd() == null ? null
                : InheritedFd.open("--exit-fd", fd(raw.exitFd(), "--exit-fd", "exit-fd must be a non-negative integer"));
        InheritedFd ready = raw.readyFd() == null ? null
                : InheritedFd.open("--ready-fd", fd(raw.readyFd(), "--ready-fd", "ready-fd must be a non-negative integer"));
        int mtu = raw.mtu() == null ? DEFAULT_MTU : mtu(raw.mtu());
        SlirpAddresses addresses = raw.cidr() == null ? SlirpAddresses.defaults() : SlirpAddresses.parse(raw.cidr());
        long mac = -1;
        if (raw.macaddress() != null) {
            if (!raw.configure()) {
                throw new UsageException("--macaddr cannot be specified when --configure or -c is not specified");
            }
            mac = mac(raw.macaddress());
        }
        InetAddress outbound = raw.outboundAddr() == null ? null : outbound(raw.outboundAddr());
        InetAddress outbound6 = raw.outboundAddr6() == null ? null : outbound6(raw.outboundAddr6());
        Path api = raw.apiSocket() == null ? null : apiSocket(raw.apiSocket());
        List<String> args = raw.arguments();
        if (args.size() < 2) {
            throw new UsageException("expected PID|PATH and TAPNAME, got " + (args.isEmpty() ? "neither"
                    : "only '" + args.get(0) + "'") + " (usage: slirp4netns [OPTION]... PID|PATH TAPNAME)");
        }
        if (args.size() > 2) {
            // slirp4netns: "not an error, for preventing potential compatibility issue".
            warnings.add("WARNING: too many arguments");
        }
        NamespaceTarget target = NamespaceTarget.of(raw.netnsType(), args.get(0), raw.userns());
        String tap = args.get(1);
        try {
            TapOptions.tap(tap);
        } catch (ConfigException e) {
            throw new UsageException("invalid TAPNAME: " + e.getMessage().substring(e.getMessage().indexOf(':') + 2));
        }
        return new Slirp4netnsOptions(target, tap, mtu, addresses, raw.configure(), mac,
                raw.disableHostLoopback() || raw.deprecatedNoHostLoopback(), raw.disableDns(), raw.ipv6(), outbound,
                outbound6, api, ready,
                exit, raw.seccomp(), Collections.unmodifiableList(warnings));
    }

    /** slirp4netns's {@code strtol(optarg, &end, 10)} with {@code errno}, the whole text and {@code >= 0} checked. */
    private static int fd(String text, String option, String why) {
        long n = decimal(text);
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw UsageException.invalid(option, text, why);
        }
        return (int) n;
    }

    private static int mtu(String text) {
        long n = decimal(text);
        if (n <= 0 || n > SLIRP4NETNS_MAX_MTU) {
            throw UsageException.invalid("--mtu", text, "MTU must be a positive integer (< 65522)");
        }
        if (n < MIN_MTU || n > MAX_MTU) {
            throw UsageException.invalid("--mtu", text, "jslirp supports an MTU of " + MIN_MTU + ".." + MAX_MTU);
        }
        return (int) n;
    }

    /** A decimal integer as strtol reads it (leading blanks and a sign allowed), or -1 if it is none or too large. */
    private static long decimal(String text) {
        String t = text.stripLeading();
        if (!t.matches("[+-]?[0-9]{1,18}")) {
            return -1;
        }
        return Long.parseLong(t.startsWith("+") ? t.substring(1) : t);
    }

    /** Six hexadecimal bytes separated by colons; a unicast address (the kernel refuses others). */
    private static long mac(String text) {
        if (!text.matches("[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}")) {
            throw UsageException.invalid("--macaddress", text, "\"" + text + "\" is an invalid MAC address "
                    + "(macaddress has to be a valid MAC address (hex string, 6 bytes, each byte separated by a ':'))");
        }
        long mac = 0;
        for (String b : text.split(":")) {
            mac = (mac << 8) | Integer.parseInt(b, 16);
        }
        if (MacAddress.isMulticast(mac) || mac == 0) {
            throw UsageException.invalid("--macaddress", text, "not a unicast MAC address (the first byte must be "
                    + "even, and not all zero), e.g. 02:00:00:00:00:01");
        }
        return mac;
    }

    /**
     * An IPv4 address, or the name of an interface whose first IPv4 address is taken
     * (slirp4netns's {@code get_interface_addr}).
     */
    private static InetAddress outbound(String text) {
        String why = "outbound-addr has to be valid ipv4 address or interface name.";
        if (text.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            try {
                InetAddress a = InetAddress.getByName(text);
                if (a.isAnyLocalAddress() || a.isMulticastAddress()) {
                    throw UsageException.invalid("--outbound-addr", text, "not a unicast address of this host");
                }
                return a;
            } catch (UnknownHostException e) {
                throw UsageException.invalid("--outbound-addr", text, why);
            }
        }
        try {
            NetworkInterface nif = NetworkInterface.getByName(text);
            if (nif != null) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        return a;
                    }
                }
            }
        } catch (SocketException e) {
            // As an unknown interface.
        }
        throw UsageException.invalid("--outbound-addr", text, why);
    }

    /**
     * An IPv6 address, or the name of an interface whose first IPv6 address beyond the
     * link is taken (a link-local one cannot reach another network). slirp4netns looks
     * the name up in {@code --outbound-addr}'s value here, a slip jslirp does not copy.
     */
    private static InetAddress outbound6(String text) {
        String why = "outbound-addr6 has to be valid ipv6 address or interface name.";
        if (text.contains(":")) {
            IpAddress a;
            try {
                a = IpAddress.parse(text); // a literal only: never a name lookup
            } catch (IllegalArgumentException e) {
                throw UsageException.invalid("--outbound-addr6", text, why);
            }
            if (!a.isIpv6()) {
                throw UsageException.invalid("--outbound-addr6", text, why);
            }
            if (a.isUnspecified() || a.isMulticast() || a.isLinkLocal()) {
                throw UsageException.invalid("--outbound-addr6", text, "not a unicast address of this host "
                        + "beyond the link");
            }
            return a.toInetAddress();
        }
        try {
            NetworkInterface nif = NetworkInterface.getByName(text);
            if (nif != null) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet6Address && !a.isLinkLocalAddress()) {
                        // Without the interface's scope: outbound sockets bind the bare address.
                        return InetAddress.getByAddress(a.getAddress());
                    }
                }
            }
        } catch (SocketException | UnknownHostException e) {
            // As an unknown interface.
        }
        throw UsageException.invalid("--outbound-addr6", text, why);
    }

    private static Path apiSocket(String text) {
        if (text.isEmpty()) {
            throw UsageException.invalid("--api-socket", text, "expected the path of the API socket to create");
        }
        if (text.getBytes(StandardCharsets.UTF_8).length >= 108) {
            throw UsageException.invalid("--api-socket", text, "the specified API socket path is too long (>= 108)");
        }
        Path p = NamespaceTarget.path("--api-socket", text);
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            throw UsageException.invalid("--api-socket", text, "is a directory (expected the path of a socket)");
        }
        return p;
    }

    /** The unix endpoint of {@link #apiSocket}. */
    Endpoint.Unix apiEndpoint() {
        return new Endpoint.Unix(apiSocket);
    }
}
