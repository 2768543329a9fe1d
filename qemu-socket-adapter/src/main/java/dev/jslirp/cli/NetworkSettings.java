package dev.jslirp.cli;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dhcp.DhcpConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.IcmpEcho;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.UdpFiltering;
import dev.jslirp.nat.guestfwd.GuestForward;
import dev.jslirp.nat.guestfwd.GuestForwards;
import dev.jslirp.smb.SmbConfig;
import dev.jslirp.tftp.TftpConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The network's settings: declared once here ({@link #DECLARED}), given on the command
 * line as {@code --KEY} options or as keys of {@code --netdev-user}, and turned into the
 * network, DHCP, DNS and NAT configurations.
 *
 * <h2>Declaring a setting</h2>
 * <p>Each entry of {@link #DECLARED} is the only place a setting is named: its option, its
 * {@code -netdev user} key, whether it repeats, its form and help text, and what it does to
 * the configuration builders (see {@link Setting}). The command line's options are made from
 * the table ({@link SettingOptions}, a picocli model transformer, adds them to the
 * annotated command), {@code --netdev-user} accepts exactly the keys declared
 * {@code netdevUser} ({@link NetdevUserString}), and every other key of QEMU's
 * {@code -netdev user} ({@link #QEMU_USER_KEYS}) is refused by name as not supported. Adding
 * a setting is one line in {@link #DECLARED}; a QEMU key becomes supported by declaring it.
 *
 * <p>Both spellings feed the same builders, which check the values; errors name the option
 * as the user wrote it ({@code --net}, {@code net= (in --netdev-user)}). A key given both
 * ways, or twice where it does not repeat, is an error. Settings apply in the order of the
 * table, values of a repeated one in the order given.
 */
final class NetworkSettings {
    /** One value of a setting and where it came from ({@code "--net"} or {@code "net= (in --netdev-user)"}). */
    record Entry(Setting setting, String value, String source) {
        /** The setting's key. */
        String key() {
            return setting.key();
        }
    }

    /**
     * The configurations the settings build; {@code tftp} is null without {@code tftp=},
     * {@code smb} without {@code smb=}.
     */
    record Configs(NetworkConfig network, DhcpConfig dhcp, DnsConfig dns, NatConfig nat, TftpConfig tftp,
                   SmbConfig smb) {
    }

    /** The builders one application fills. */
    static final class Builders {
        final NetworkConfig.Builder network = NetworkConfig.builder();
        final DhcpConfig.Builder dhcp = DhcpConfig.builder();
        final DnsConfig.Builder dns = DnsConfig.builder();
        final NatConfig.Builder nat = NatConfig.builder();
        TftpConfig.Builder tftp;
        String smbDir;
        String smbServer;
        String smbd;
    }

    /**
     * Every key of QEMU's {@code -netdev user} (QEMU's qapi/net.json, NetdevUserOptions, and
     * the legacy {@code vlan}/{@code name}), besides {@code id} and {@code type}. Those not
     * declared below are refused by name as not supported.
     */
    static final Set<String> QEMU_USER_KEYS = Set.of("hostname", "restrict", "ipv4", "ipv6", "ip", "net", "host",
            "tftp", "bootfile", "dhcpstart", "dns", "dnssearch", "domainname", "ipv6-prefix", "ipv6-prefixlen",
            "ipv6-net", "ipv6-host", "ipv6-dns", "smb", "smbserver", "hostfwd", "guestfwd", "tftp-server-name",
            "vlan", "name");

    /** The settings, in the order of {@code --help} and of application. The one place a setting is declared. */
    static final List<Setting> DECLARED = List.of(
            // Before net=, so that net= wins when both are given, as in QEMU's net_init_slirp.
            Setting.qemu("ip", "ADDR", "QEMU's legacy spelling of net=ADDR/24.",
                    (b, v, l) -> b.network.net(v.trim() + "/24")),
            Setting.qemu("net", "ADDR/LEN", "The guest network, a.b.c.d/len or a.b.c.d/m.m.m.m (default: 10.0.2.0/24).",
                    (b, v, l) -> b.network.net(v)),
            Setting.qemu("host", "ADDR", "The gateway, which also stands for the host (default: .2 of the network, "
                    + "10.0.2.2).", (b, v, l) -> b.network.host(v)),
            Setting.qemu("dns", "ADDR", "The DNS server address the guest is offered (default: .3, 10.0.2.3).",
                    (b, v, l) -> b.network.dns(v)),
            Setting.qemu("dhcpstart", "ADDR", "The first address DHCP hands out (default: .15, 10.0.2.15).",
                    (b, v, l) -> b.network.dhcpStart(v)),
            Setting.qemu("restrict", "on|off", "on: isolate the guest from the host and the outside (yes|no also "
                    + "accepted; default: off).", (b, v, l) -> b.network.restrict(Values.flag(l, v))),
            Setting.qemu("hostfwd", "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT",
                    "Forward a host port into the guest, e.g. tcp::2222-:22.",
                    (b, v, l) -> b.nat.addForward(v)).repeatable(),
            Setting.qemu("guestfwd", "[tcp]:[SERVER]:PORT-DEV", "Connections of the guest to SERVER:PORT (default "
                    + "server 10.0.2.4) go to DEV on the host: tcp:HOST:PORT, unix:PATH or cmd:COMMAND, each guest "
                    + "connection a host connection or process of its own.",
                    (b, v, l) -> b.nat.addGuestForward(v)).repeatable(),
            Setting.qemu("smb", "DIR", "Share DIR with the guest as \\\\10.0.2.4\\qemu, served by a private smbd "
                    + "(Samba) per connection to the server's ports 139 and 445, as QEMU's smb=.",
                    (b, v, l) -> b.smbDir = v),
            Setting.qemu("smbserver", "ADDR", "The address of smb='s server in the guest's network (default: .4, "
                    + "10.0.2.4).", (b, v, l) -> b.smbServer = v),
            Setting.qemu("hostname", "NAME", "Host name DHCP gives the guest.", (b, v, l) -> b.dhcp.hostname(v)),
            Setting.qemu("domainname", "NAME", "Domain name DHCP gives the guest.",
                    (b, v, l) -> b.dhcp.domainName(v)),
            Setting.qemu("dnssearch", "DOMAIN", "A DNS search domain DHCP gives the guest.",
                    (b, v, l) -> b.dhcp.addDnsSearch(v)).repeatable(),
            Setting.qemu("tftp", "DIR", "Serve DIR read-only over TFTP at the host address (10.0.2.2:69), as "
                    + "QEMU's tftp=.", (b, v, l) -> b.tftp = TftpConfig.builder().root(v)),
            Setting.qemu("tftp-server-name", "NAME", "TFTP server name DHCP announces (option 66).",
                    (b, v, l) -> b.dhcp.tftpServerName(v)),
            Setting.qemu("bootfile", "FILE", "Boot file name DHCP announces (BOOTP file, option 67).",
                    (b, v, l) -> b.dhcp.bootfile(v)),
            Setting.qemu("ipv4", "on|off", "Serve IPv4 (default: on).",
                    (b, v, l) -> b.network.ipv4(Values.flag(l, v))),
            Setting.qemu("ipv6", "on|off", "Serve IPv6: router advertisements, neighbour discovery, DHCPv6 and "
                    + "the NAT over IPv6 (default: on, as QEMU).", (b, v, l) -> b.network.ipv6(Values.flag(l, v))),
            Setting.qemu("ipv6-net", "PREFIX/LEN", "The IPv6 prefix the guest autoconfigures from (default: "
                    + "fec0::/64).", (b, v, l) -> b.network.ipv6Net(v)),
            Setting.qemu("ipv6-prefix", "PREFIX", "QEMU's older spelling of ipv6-net's prefix (default: fec0::).",
                    (b, v, l) -> b.network.ipv6Prefix(v)),
            Setting.qemu("ipv6-prefixlen", "LEN", "QEMU's older spelling of ipv6-net's length, 0..126 (default: 64).",
                    (b, v, l) -> b.network.ipv6PrefixLength(Values.integer(l, v))),
            Setting.qemu("ipv6-host", "ADDR", "The host's IPv6 address, which reaches the host's ::1 (default: ::2 "
                    + "of the prefix, fec0::2).", (b, v, l) -> b.network.ipv6Host(v)),
            Setting.qemu("ipv6-dns", "ADDR", "The IPv6 DNS address the guest is offered (default: ::3 of the "
                    + "prefix, fec0::3).", (b, v, l) -> b.network.ipv6Dns(v)),
            Setting.jslirp("mtu", "BYTES", "IP MTU of the guest link, 576..65520 (default: 1500).",
                    (b, v, l) -> b.network.mtu(Values.integer(l, v))),
            Setting.jslirp("dns-upstream", "ADDR[:PORT]", "Forward the guest's DNS queries to this resolver: "
                    + "a.b.c.d[:PORT], an IPv6 address or [IPv6]:PORT (port 53 by default; default: the host's "
                    + "/etc/resolv.conf, nameservers of both families).",
                    (b, v, l) -> b.dns.addUpstream(v)).repeatable(),
            Setting.jslirp("dns-record", "NAME=ADDR", "Answer NAME with ADDR without asking upstream: an A record "
                    + "for an IPv4 address, an AAAA record for an IPv6 one (give both for both).",
                    (b, v, l) -> b.dns.addRecord(v)).repeatable(),
            Setting.jslirp("host-loopback", null, "Do not let connections to the gateway address reach the host's "
                    + "loopback.", (b, v, l) -> b.network.hostLoopback(Values.flag(l, v)))
                    .asSwitch("--no-host-loopback", "off"),
            Setting.jslirp("udp-filtering", "endpoint|address-port", "Which host datagrams reach a guest's UDP flow: "
                    + "endpoint, from anybody to the guest port's host port (as QEMU; TFTP, STUN, SIP need it); "
                    + "address-port, only from where the guest wrote to (default: endpoint).",
                    (b, v, l) -> b.nat.udpFiltering(UdpFiltering.parse(v))),
            Setting.jslirp("icmp-echo", "auto|ping|raw|off", "How the guest's pings to other hosts leave: ping "
                    + "sockets (net.ipv4.ping_group_range), raw sockets (CAP_NET_RAW), auto (the first allowed), "
                    + "or off (default: auto).", (b, v, l) -> b.nat.icmpEcho(IcmpEcho.parse(v))),
            Setting.jslirp("hostfwd-source", "client|gateway", "Where forwarded connections come from in the guest: "
                    + "client (the client's own address, as QEMU; loopback clients from the gateway) or gateway "
                    + "(every client from the gateway address; default: client).",
                    (b, v, l) -> b.nat.forwardSource(NatConfig.ForwardSource.parse(v))),
            Setting.jslirp("smbd", "PATH", "The smbd that smb= runs (default: /usr/sbin/smbd, else smbd on PATH).",
                    (b, v, l) -> b.smbd = v),
            Setting.jslirp("dhcp-static", "MAC=ADDR", "Always give address ADDR to MAC aa:bb:cc:dd:ee:ff.",
                    (b, v, l) -> b.dhcp.staticLease(v)).repeatable(),
            Setting.jslirp("dhcp-pool-size", "N", "Addresses in the DHCP pool from --dhcpstart, 1..1024 (default: 16).",
                    (b, v, l) -> b.dhcp.poolSize(Values.integer(l, v))),
            Setting.limit("max-ports", "N", "Guests on the network at once (ports of its switch: QEMU connections, "
                    + "datagram peers, taps), 1..1024 (default: 64).",
                    (b, v, l) -> b.network.maxPorts(Values.integer(l, v))),
            Setting.limit("max-tcp-flows", "N", "TCP connections at once, 1..1000000 (default: 4096).",
                    (b, v, l) -> b.nat.maxTcpFlows(Values.integer(l, v))),
            Setting.limit("max-half-open", "N", "TCP connections still connecting on the host at once, 1..65536 "
                    + "(default: 256).", (b, v, l) -> b.nat.maxHalfOpen(Values.integer(l, v))),
            Setting.limit("max-udp-flows", "N", "UDP flows at once, 1..1000000 (default: 1024).",
                    (b, v, l) -> b.nat.maxUdpFlows(Values.integer(l, v))),
            Setting.limit("tcp-buffer", "BYTES", "Buffer per TCP flow and direction, 16k..64m, e.g. 256k, 1m "
                    + "(default: 1m).", (b, v, l) -> b.nat.tcpBufferBytes(Values.bytes(l, v))),
            Setting.limit("max-memory", "BYTES", "Memory the network may hold for its guests and their peers, "
                    + "every flow's buffers, reassembly and queued datagrams together, 1m..1024g, e.g. 256m, 1g "
                    + "(default: 256m). At the ceiling TCP offers smaller windows and pauses host reads; datagrams, "
                    + "fragments and DNS queries are dropped and counted.",
                    (b, v, l) -> b.network.maxMemory(Values.bytes(l, v, 1L << 50))));

    private static final Map<String, Setting> BY_KEY = new LinkedHashMap<>();

    static {
        for (Setting s : DECLARED) {
            if (BY_KEY.put(s.key(), s) != null) {
                throw new ExceptionInInitializerError("setting " + s.key() + " declared twice");
            }
        }
    }

    /** The setting declared under {@code key}, or null. */
    static Setting byKey(String key) {
        return BY_KEY.get(key);
    }

    private final List<Entry> entries = new ArrayList<>();

    /** Adds a value given with the setting's option. */
    void option(Setting setting, String value) {
        add(new Entry(setting, value, setting.optionLabel()));
    }

    /**
     * Adds {@code key=value} from a {@code --network} string or {@code network_add}, where
     * every declared setting is taken by its key; {@code network} names the network in errors.
     *
     * @throws CliException for a key that is no setting
     */
    void networkKey(String network, String key, String value) {
        Setting s = BY_KEY.get(key);
        if (s == null) {
            throw new CliException("--network " + network + ": unknown key '" + key + "' (expected id=, a transport "
                    + "(listen= connect= dgram= tap= netns=) or a network setting: " + String.join(" ", BY_KEY.keySet())
                    + ")");
        }
        add(new Entry(s, value, key + "= (in --network " + network + ")"));
    }

    /** True if no setting was given. */
    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Adds {@code key=value} from {@code --netdev-user}; the key must be declared {@code netdevUser}. */
    void netdevUser(String key, String value) {
        Setting s = BY_KEY.get(key);
        if (s == null || !s.netdevUser()) {
            throw new IllegalArgumentException("not a --netdev-user key: " + key);
        }
        add(new Entry(s, value, s.netdevUserLabel()));
    }

    private void add(Entry e) {
        if (!e.setting().repeats()) {
            for (Entry other : entries) {
                if (other.setting() == e.setting()) {
                    throw new CliException(e.key() + " given twice: as " + other.source() + " and as " + e.source()
                            + " (give it once)");
                }
            }
        }
        entries.add(e);
    }

    /** The settings given, in order. */
    List<Entry> entries() {
        return List.copyOf(entries);
    }

    /**
     * Builds the configurations from QEMU's defaults and the settings, in order.
     *
     * @throws CliException naming the option at fault as the user wrote it
     */
    Configs build() {
        Builders b = new Builders();
        List<Entry> ordered = new ArrayList<>(entries);
        ordered.sort(Comparator.comparingInt(e -> DECLARED.indexOf(e.setting())));
        for (Entry e : ordered) {
            try {
                e.setting().applier().apply(b, e.value(), e.source());
            } catch (ConfigException ce) {
                throw CliException.relabel(ce, e.source());
            }
        }
        try {
            NatConfig nat = b.nat.build();
            SmbConfig smb = smb(b);
            // Checked here so a guest forward that does not fit (smb='s too) stops jslirp
            // before it starts; the command is only a stand-in for this check.
            List<GuestForward> guestForwards = new ArrayList<>(nat.guestForwards());
            if (smb != null) {
                guestForwards.addAll(smb.forwards("smbd"));
            }
            NetworkConfig network = GuestForwards.announce(b.network.build(), guestForwards);
            GuestForwards.of(guestForwards, network, true);
            return new Configs(network, b.dhcp.build(), b.dns.build(), nat, b.tftp == null ? null : b.tftp.build(), smb);
        } catch (ConfigException ce) {
            throw CliException.relabel(ce, sourceOf(ce.option()));
        }
    }

    private static SmbConfig smb(Builders b) {
        if (b.smbDir == null) {
            if (b.smbServer != null || b.smbd != null) {
                throw new ConfigException(b.smbServer != null ? "smbserver" : "smbd", "applies to smb= only (give "
                        + "smb=DIR too)");
            }
            return null;
        }
        return SmbConfig.of(b.smbDir, b.smbServer, b.smbd);
    }

    private String sourceOf(String key) {
        for (Entry e : entries) {
            if (e.key().equals(key)) {
                return e.source();
            }
        }
        Setting s = BY_KEY.get(key);
        return s != null && s.flag() != null ? s.flag() : "--" + key;
    }
}
