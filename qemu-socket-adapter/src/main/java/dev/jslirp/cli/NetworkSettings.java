package dev.jslirp.cli;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dhcp.DhcpConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.tftp.TftpConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The network's settings as given on the command line, each one a key (QEMU's
 * {@code -netdev user} name where QEMU has one) with its value and where the user
 * wrote it: a {@code --key} option or a key of {@code --netdev-user}. Both spellings
 * feed the same configuration builders, which check the values; errors name the
 * option the way the user wrote it.
 */
final class NetworkSettings {
    /** One setting and where it came from ({@code "--net"} or {@code "net= (in --netdev-user)"}). */
    record Entry(String key, String value, String source) {
    }

    /** The configurations the settings build; {@code tftp} is null without {@code tftp=}. */
    record Configs(NetworkConfig network, DhcpConfig dhcp, DnsConfig dns, NatConfig nat, TftpConfig tftp) {
    }

    /** Keys that may be given several times; every other key at most once. */
    static final Set<String> REPEATABLE = Set.of("hostfwd", "dnssearch", "dns-upstream", "dns-record", "dhcp-static");

    /** The builders one application fills. */
    private static final class Builders {
        final NetworkConfig.Builder network = NetworkConfig.builder();
        final DhcpConfig.Builder dhcp = DhcpConfig.builder();
        final DnsConfig.Builder dns = DnsConfig.builder();
        final NatConfig.Builder nat = NatConfig.builder();
        TftpConfig.Builder tftp;
    }

    /** Applies one value for a key; label names the option in errors. */
    private interface Setter {
        void apply(Builders b, String value, String label);
    }

    private static final Map<String, Setter> KEYS = new LinkedHashMap<>();

    static {
        KEYS.put("net", (b, v, l) -> b.network.net(v));
        KEYS.put("host", (b, v, l) -> b.network.host(v));
        KEYS.put("dns", (b, v, l) -> b.network.dns(v));
        KEYS.put("dhcpstart", (b, v, l) -> b.network.dhcpStart(v));
        KEYS.put("restrict", (b, v, l) -> b.network.restrict(Values.flag(l, v)));
        KEYS.put("mtu", (b, v, l) -> b.network.mtu(Values.integer(l, v)));
        KEYS.put("host-loopback", (b, v, l) -> b.network.hostLoopback(Values.flag(l, v)));
        KEYS.put("hostfwd", (b, v, l) -> b.nat.addForward(v));
        KEYS.put("hostname", (b, v, l) -> b.dhcp.hostname(v));
        KEYS.put("domainname", (b, v, l) -> b.dhcp.domainName(v));
        KEYS.put("dnssearch", (b, v, l) -> b.dhcp.addDnsSearch(v));
        KEYS.put("tftp", (b, v, l) -> b.tftp = TftpConfig.builder().root(v));
        KEYS.put("tftp-server-name", (b, v, l) -> b.dhcp.tftpServerName(v));
        KEYS.put("bootfile", (b, v, l) -> b.dhcp.bootfile(v));
        KEYS.put("dhcp-static", (b, v, l) -> b.dhcp.staticLease(v));
        KEYS.put("dhcp-pool-size", (b, v, l) -> b.dhcp.poolSize(Values.integer(l, v)));
        KEYS.put("dns-upstream", (b, v, l) -> b.dns.addUpstream(v));
        KEYS.put("dns-record", (b, v, l) -> b.dns.addRecord(v));
        KEYS.put("max-tcp-flows", (b, v, l) -> b.nat.maxTcpFlows(Values.integer(l, v)));
        KEYS.put("max-half-open", (b, v, l) -> b.nat.maxHalfOpen(Values.integer(l, v)));
        KEYS.put("max-udp-flows", (b, v, l) -> b.nat.maxUdpFlows(Values.integer(l, v)));
        KEYS.put("tcp-buffer", (b, v, l) -> b.nat.tcpBufferBytes(Values.bytes(l, v)));
    }

    private final List<Entry> entries = new ArrayList<>();

    /** Adds {@code --key value}. */
    void option(String key, String value) {
        add(new Entry(key, value, "--" + key));
    }

    /** Adds {@code key=value} from {@code --netdev-user}. */
    void netdevUser(String key, String value) {
        add(new Entry(key, value, key + "= (in --netdev-user)"));
    }

    private void add(Entry e) {
        if (!KEYS.containsKey(e.key())) {
            throw new IllegalArgumentException("unknown key " + e.key());
        }
        if (!REPEATABLE.contains(e.key())) {
            for (Entry other : entries) {
                if (other.key().equals(e.key())) {
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
        for (Entry e : entries) {
            try {
                KEYS.get(e.key()).apply(b, e.value(), e.source());
            } catch (ConfigException ce) {
                throw CliException.relabel(ce, e.source());
            }
        }
        try {
            return new Configs(b.network.build(), b.dhcp.build(), b.dns.build(), b.nat.build(),
                    b.tftp == null ? null : b.tftp.build());
        } catch (ConfigException ce) {
            throw CliException.relabel(ce, sourceOf(ce.option()));
        }
    }

    private String sourceOf(String key) {
        for (Entry e : entries) {
            if (e.key().equals(key)) {
                return e.source();
            }
        }
        return "--" + key;
    }
}
