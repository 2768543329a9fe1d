package dev.jslirp.e2e;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dhcp.DhcpConfig;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.tftp.TftpConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One set of {@code -netdev user} options, rendered for both networks a comparison runs: as
 * QEMU's own {@code -netdev user,...} value for libslirp, and as jslirp's configuration
 * objects. One value object feeding both is what makes "the same options" true by
 * construction.
 *
 * @param net        {@code net=}, e.g. {@code 192.168.76.0/24}, or null for QEMU's default
 * @param hostname   {@code hostname=}, or null
 * @param domainName {@code domainname=}, or null
 * @param dnsSearch  {@code dnssearch=} values, in order (one key per domain, as QEMU takes them)
 * @param restrict   {@code restrict=on}
 * @param mtu        jslirp's {@code --mtu}, 0 for the default; QEMU 7.2's {@code -netdev user}
 *                   has no such key, so options with an MTU cannot be given to libslirp
 * @param hostForwards {@code hostfwd=} values in QEMU's form, e.g. {@code tcp:127.0.0.1:8022-:22}
 * @param hostLoopback false for jslirp's {@code --no-host-loopback}; QEMU 7.2's {@code -netdev user}
 *                   has no such key (libslirp's {@code disable_host_loopback} is not wired to one)
 * @param tftp       {@code tftp=}, {@code bootfile=} and {@code tftp-server-name=}, or null
 * @param guestForwards {@code guestfwd=} values in QEMU's form, e.g. {@code tcp:10.0.2.100:1234-cmd:cat}
 * @param ipv6Net    {@code ipv6-net=}, e.g. {@code fec0:1::/64}, or null for QEMU's default fec0::/64
 */
public record UserOptions(String net, String hostname, String domainName, List<String> dnsSearch, boolean restrict,
                          int mtu, List<String> hostForwards, boolean hostLoopback, Tftp tftp,
                          List<String> guestForwards, String ipv6Net) {
    /** QEMU's defaults: nothing set. */
    public static final UserOptions DEFAULTS = new UserOptions(null, null, null, List.of(), false, 0, List.of(), true,
            null, List.of(), null);

    /**
     * The TFTP server and what DHCP says about booting.
     *
     * @param dir        {@code tftp=}: the directory served
     * @param bootfile   {@code bootfile=}, or null
     * @param serverName {@code tftp-server-name=}, or null
     */
    public record Tftp(Path dir, String bootfile, String serverName) {
    }

    /** Copies the lists. */
    public UserOptions {
        dnsSearch = List.copyOf(dnsSearch);
        hostForwards = List.copyOf(hostForwards);
        guestForwards = List.copyOf(guestForwards);
    }

    /** These options with {@code net=}. */
    public UserOptions withNet(String n) {
        return new UserOptions(Objects.requireNonNull(n), hostname, domainName, dnsSearch, restrict, mtu, hostForwards,
                hostLoopback, tftp, guestForwards, ipv6Net);
    }

    /** These options with {@code hostname=}. */
    public UserOptions withHostname(String h) {
        return new UserOptions(net, Objects.requireNonNull(h), domainName, dnsSearch, restrict, mtu, hostForwards,
                hostLoopback, tftp, guestForwards, ipv6Net);
    }

    /** These options with {@code domainname=}. */
    public UserOptions withDomainName(String d) {
        return new UserOptions(net, hostname, Objects.requireNonNull(d), dnsSearch, restrict, mtu, hostForwards,
                hostLoopback, tftp, guestForwards, ipv6Net);
    }

    /** These options with the {@code dnssearch=} list. */
    public UserOptions withDnsSearch(String... domains) {
        return new UserOptions(net, hostname, domainName, List.of(domains), restrict, mtu, hostForwards, hostLoopback, tftp, guestForwards, ipv6Net);
    }

    /** These options with {@code restrict=on}. */
    public UserOptions restricted() {
        return new UserOptions(net, hostname, domainName, dnsSearch, true, mtu, hostForwards, hostLoopback, tftp, guestForwards, ipv6Net);
    }

    /** These options with jslirp's {@code --mtu}. */
    public UserOptions withMtu(int m) {
        return new UserOptions(net, hostname, domainName, dnsSearch, restrict, m, hostForwards, hostLoopback, tftp, guestForwards, ipv6Net);
    }

    /** These options with one more {@code hostfwd=}, in QEMU's form. */
    public UserOptions withHostForward(String spec) {
        List<String> all = new ArrayList<>(hostForwards);
        all.add(spec);
        return new UserOptions(net, hostname, domainName, dnsSearch, restrict, mtu, all, hostLoopback, tftp, guestForwards, ipv6Net);
    }

    /** These options with one more {@code guestfwd=}, in QEMU's form. */
    public UserOptions withGuestForward(String spec) {
        List<String> all = new ArrayList<>(guestForwards);
        all.add(spec);
        return new UserOptions(net, hostname, domainName, dnsSearch, restrict, mtu, hostForwards, hostLoopback, tftp, all, ipv6Net);
    }

    /** These options with jslirp's {@code --no-host-loopback}. */
    public UserOptions withoutHostLoopback() {
        return new UserOptions(net, hostname, domainName, dnsSearch, restrict, mtu, hostForwards, false, tftp, guestForwards, ipv6Net);
    }

    /** These options with a TFTP server ({@code tftp=}, {@code bootfile=}, {@code tftp-server-name=}). */
    public UserOptions withTftp(Path dir, String bootfile, String serverName) {
        return new UserOptions(net, hostname, domainName, dnsSearch, restrict, mtu, hostForwards, hostLoopback,
                new Tftp(Objects.requireNonNull(dir), bootfile, serverName), guestForwards, ipv6Net);
    }

    /** These options with {@code ipv6-net=}. */
    public UserOptions withIpv6Net(String prefix) {
        return new UserOptions(net, hostname, domainName, dnsSearch, restrict, mtu, hostForwards, hostLoopback, tftp,
                guestForwards, Objects.requireNonNull(prefix));
    }

    /**
     * QEMU's {@code -netdev user} value.
     *
     * @throws IllegalStateException if an option has no {@code -netdev user} key
     */
    public String netdevUser(String id) {
        if (mtu != 0) {
            throw new IllegalStateException("QEMU's -netdev user has no mtu= key; jslirp-only option");
        }
        if (!hostLoopback) {
            throw new IllegalStateException("QEMU's -netdev user cannot switch host loopback off; jslirp-only option");
        }
        List<String> keys = new ArrayList<>();
        keys.add("user");
        keys.add("id=" + id);
        if (net != null) {
            keys.add("net=" + net);
        }
        if (ipv6Net != null) {
            keys.add("ipv6-net=" + ipv6Net);
        }
        if (restrict) {
            keys.add("restrict=on");
        }
        if (hostname != null) {
            keys.add("hostname=" + hostname);
        }
        if (domainName != null) {
            keys.add("domainname=" + domainName);
        }
        dnsSearch.forEach(d -> keys.add("dnssearch=" + d));
        hostForwards.forEach(f -> keys.add("hostfwd=" + f));
        guestForwards.forEach(f -> keys.add("guestfwd=" + f.replace(",", ",,")));
        if (tftp != null) {
            keys.add("tftp=" + tftp.dir().toString().replace(",", ",,"));
            if (tftp.bootfile() != null) {
                keys.add("bootfile=" + tftp.bootfile());
            }
            if (tftp.serverName() != null) {
                keys.add("tftp-server-name=" + tftp.serverName());
            }
        }
        return String.join(",", keys);
    }

    /** jslirp's network configuration for these options. */
    public NetworkConfig networkConfig() {
        NetworkConfig.Builder b = NetworkConfig.builder().restrict(restrict).hostLoopback(hostLoopback);
        if (net != null) {
            b.net(net);
        }
        if (mtu != 0) {
            b.mtu(mtu);
        }
        if (ipv6Net != null) {
            b.ipv6Net(ipv6Net);
        }
        return b.build();
    }

    /** jslirp's NAT configuration for these options: its port and guest forwards. */
    public NatConfig natConfig() {
        NatConfig.Builder b = NatConfig.builder();
        hostForwards.forEach(b::addForward);
        guestForwards.forEach(b::addGuestForward);
        return b.build();
    }

    /** jslirp's DHCP configuration for these options. */
    public DhcpConfig dhcpConfig() {
        DhcpConfig.Builder b = DhcpConfig.builder();
        if (hostname != null) {
            b.hostname(hostname);
        }
        if (domainName != null) {
            b.domainName(domainName);
        }
        dnsSearch.forEach(b::addDnsSearch);
        if (tftp != null && tftp.bootfile() != null) {
            b.bootfile(tftp.bootfile());
        }
        if (tftp != null && tftp.serverName() != null) {
            b.tftpServerName(tftp.serverName());
        }
        return b.build();
    }

    /** jslirp's TFTP configuration for these options, or null without {@code tftp=}. */
    public TftpConfig tftpConfig() {
        return tftp == null ? null : TftpConfig.builder().root(tftp.dir()).build();
    }

    /** The network's first three octets and a dot, e.g. {@code 10.0.2.}: guest, gateway and DNS are in it. */
    public String prefix() {
        String n = net == null ? "10.0.2.0/24" : net;
        if (!n.endsWith(".0/24")) {
            throw new IllegalStateException("tests use /24 networks ending in .0: " + n);
        }
        return n.substring(0, n.length() - "0/24".length());
    }

    /** The gateway (host) address: .2 of the network, as QEMU. */
    public String gateway() {
        return prefix() + "2";
    }

    /** The DNS address: .3 of the network. */
    public String dns() {
        return prefix() + "3";
    }

    /** The first DHCP address: .15 of the network. */
    public String firstLease() {
        return prefix() + "15";
    }

    /** The gateway's MAC, 52:55 and the gateway address in hex, as libslirp and jslirp make it. */
    public String gatewayMac() {
        StringBuilder s = new StringBuilder("52:55");
        for (String octet : gateway().split("\\.")) {
            s.append(String.format(":%02x", Integer.parseInt(octet)));
        }
        return s.toString();
    }
}
