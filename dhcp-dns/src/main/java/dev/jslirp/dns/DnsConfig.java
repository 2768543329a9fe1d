package dev.jslirp.dns;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.wire.IpAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the DNS service at the network's DNS address answers: which upstream resolvers
 * it forwards to (explicit ones, else the host's {@code resolv.conf}), which names it
 * answers itself, and its bounds.
 */
public final class DnsConfig {
    private final List<InetSocketAddress> upstreams;
    private final Path resolvConf;
    private final Map<String, List<IpAddress>> records;
    private final String hostName;
    private final Duration upstreamTimeout;
    private final int maxInFlight;
    private final int maxTcpConnections;
    private final Duration tcpIdleTimeout;
    private final int resolvConfPort;
    private final Duration resolvConfRecheck;

    private DnsConfig(Builder b) {
        this.upstreams = Collections.unmodifiableList(new ArrayList<>(b.upstreams));
        this.resolvConf = b.resolvConf;
        Map<String, List<IpAddress>> r = new LinkedHashMap<>();
        b.records.forEach((name, addresses) -> r.put(name, List.copyOf(addresses)));
        this.records = Collections.unmodifiableMap(r);
        this.hostName = b.hostName;
        this.upstreamTimeout = b.upstreamTimeout;
        this.maxInFlight = b.maxInFlight;
        this.maxTcpConnections = b.maxTcpConnections;
        this.tcpIdleTimeout = b.tcpIdleTimeout;
        this.resolvConfPort = b.resolvConfPort;
        this.resolvConfRecheck = b.resolvConfRecheck;
    }

    /** Upstreams from {@code /etc/resolv.conf}, name {@code host.jslirp.internal} for the host. */
    public static DnsConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Explicit upstreams ({@code --dns-upstream}), tried in order; empty means use {@link #resolvConf()}. */
    public List<InetSocketAddress> upstreams() {
        return upstreams;
    }

    /** The resolv.conf read for upstreams when none are given. */
    public Path resolvConf() {
        return resolvConf;
    }

    /**
     * Names answered locally, lower-case without trailing dot, each to its addresses: at
     * most one IPv4 address (its A record) and one IPv6 address (its AAAA record), IPv4
     * first.
     */
    public Map<String, List<IpAddress>> records() {
        return records;
    }

    /**
     * The name that resolves to the host (gateway) address, or null for none: an A record
     * of the IPv4 host address and, with IPv6 on, an AAAA record of the IPv6 one.
     */
    public String hostName() {
        return hostName;
    }

    /** How long to wait for one upstream before trying the next. */
    public Duration upstreamTimeout() {
        return upstreamTimeout;
    }

    /** Queries forwarded over UDP and not yet answered, at most. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** Guest DNS-over-TCP connections open at once, at most. */
    public int maxTcpConnections() {
        return maxTcpConnections;
    }

    /** How long a DNS-over-TCP connection with nothing pending may stay silent (RFC 7766 section 6.2.3). */
    public Duration tcpIdleTimeout() {
        return tcpIdleTimeout;
    }

    /**
     * The port the nameservers of {@link #resolvConf()} listen on: 53, as resolv.conf has
     * no syntax for another. Settable only from this package, for tests whose servers
     * cannot bind a privileged port.
     */
    int resolvConfPort() {
        return resolvConfPort;
    }

    /** How often {@link #resolvConf()} is read again for changes, at most (on use, like glibc). */
    Duration resolvConfRecheck() {
        return resolvConfRecheck;
    }

    /** Builds a {@link DnsConfig}. */
    public static final class Builder {
        private final List<InetSocketAddress> upstreams = new ArrayList<>();
        private Path resolvConf = Paths.get("/etc/resolv.conf");
        private final Map<String, List<IpAddress>> records = new LinkedHashMap<>();
        private String hostName = "host.jslirp.internal";
        private Duration upstreamTimeout = Duration.ofSeconds(2);
        private int maxInFlight = 256;
        private int maxTcpConnections = 32;
        private Duration tcpIdleTimeout = Duration.ofSeconds(10);
        private int resolvConfPort = 53;
        private Duration resolvConfRecheck = Duration.ofSeconds(5);

        private Builder() {
        }

        /** Adds an upstream resolver: a resolved IPv4 or IPv6 address and a port. */
        public Builder addUpstream(InetSocketAddress upstream) {
            if (upstream.isUnresolved() || upstream.getPort() == 0) {
                throw new ConfigException("dns-upstream", "'" + upstream + "' (expected an IP address and a port)");
            }
            upstreams.add(upstream);
            return this;
        }

        /**
         * Parses {@code --dns-upstream ADDR[:PORT]}: {@code a.b.c.d}, {@code a.b.c.d:port},
         * an IPv6 address, or one in brackets with a port ({@code [::1]:5353}); port 53 by
         * default.
         */
        public Builder addUpstream(String spec) {
            String s = spec.trim();
            try {
                String address = s;
                int port = 53;
                if (s.startsWith("[")) {
                    int close = s.indexOf(']');
                    if (close < 0) {
                        throw new IllegalArgumentException("no ']'");
                    }
                    address = s.substring(1, close);
                    String rest = s.substring(close + 1);
                    if (!rest.isEmpty()) {
                        if (!rest.startsWith(":")) {
                            throw new IllegalArgumentException("after ']'");
                        }
                        port = Integer.parseInt(rest.substring(1));
                    }
                } else if (s.indexOf(':') == s.lastIndexOf(':') && s.indexOf(':') >= 0) {
                    address = s.substring(0, s.indexOf(':'));          // a.b.c.d:port
                    port = Integer.parseInt(s.substring(s.indexOf(':') + 1));
                }
                IpAddress a = IpAddress.parse(address);
                if ((s.startsWith("[") && !a.isIpv6()) || port < 1 || port > 65535) {
                    throw new IllegalArgumentException("form");
                }
                return addUpstream(new InetSocketAddress(a.toInetAddress(), port));
            } catch (IllegalArgumentException e) {
                if (e instanceof ConfigException c) {
                    throw c;
                }
                throw new ConfigException("dns-upstream", "'" + spec
                        + "' (expected a.b.c.d, a.b.c.d:port, an IPv6 address, or [ipv6]:port)");
            }
        }

        /** The resolv.conf to read when no upstream is given. */
        public Builder resolvConf(Path path) {
            this.resolvConf = path;
            return this;
        }

        /**
         * Parses {@code --dns-record name=ADDR}: an IPv4 address gives the name an A record,
         * an IPv6 address an AAAA record; give both to answer both.
         */
        public Builder addRecord(String spec) {
            int eq = spec.indexOf('=');
            String form = "'" + spec + "' (expected name=a.b.c.d or name=IPv6 address, e.g. db=10.0.2.50 or db=fec0::50)";
            if (eq <= 0) {
                throw new ConfigException("dns-record", form);
            }
            IpAddress addr;
            try {
                addr = IpAddress.parse(spec.substring(eq + 1).trim());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("dns-record", form);
            }
            return addRecord(spec.substring(0, eq), addr);
        }

        /** Answers {@code name} with IPv4 {@code address} (an A record) without asking upstream. */
        public Builder addRecord(String name, int address) {
            return addRecord(name, IpAddress.ipv4(address));
        }

        /**
         * Answers {@code name} with {@code address} without asking upstream: an A record for
         * an IPv4 address, an AAAA record for an IPv6 one. A later address of the same family
         * replaces the earlier one.
         */
        public Builder addRecord(String name, IpAddress address) {
            List<IpAddress> list = records.computeIfAbsent(normalize("dns-record", name), n -> new ArrayList<>());
            list.removeIf(a -> a.isIpv4() == address.isIpv4());
            list.add(address.isIpv4() ? 0 : list.size(), address);
            return this;
        }

        /** The name of the host, or null for none. */
        public Builder hostName(String name) {
            this.hostName = name == null ? null : normalize("dns-host-name", name);
            return this;
        }

        /** Per-upstream timeout, 100 ms .. 30 s. */
        public Builder upstreamTimeout(Duration t) {
            if (t.toMillis() < 100 || t.toMillis() > 30_000) {
                throw new ConfigException("dns-timeout", t.toMillis() + " ms out of range (expected 100..30000 ms)");
            }
            this.upstreamTimeout = t;
            return this;
        }

        /**
         * Bound on UDP queries in flight, 1..65535: each needs its own upstream query ID,
         * a 16-bit field (RFC 1035 section 4.1.1).
         */
        public Builder maxInFlight(int n) {
            if (n < 1 || n > 65535) {
                throw new ConfigException("dns-max-in-flight", n + " out of range (expected 1..65535)");
            }
            this.maxInFlight = n;
            return this;
        }

        /** Bound on guest DNS-over-TCP connections, 1..1024. */
        public Builder maxTcpConnections(int n) {
            if (n < 1 || n > 1024) {
                throw new ConfigException("dns-max-tcp", n + " out of range (expected 1..1024)");
            }
            this.maxTcpConnections = n;
            return this;
        }

        /** Idle timeout of DNS-over-TCP connections, 1 s .. 10 min. */
        public Builder tcpIdleTimeout(Duration t) {
            if (t.toMillis() < 1000 || t.toMillis() > 600_000) {
                throw new ConfigException("dns-tcp-idle", t.toMillis() + " ms out of range (expected 1000..600000 ms)");
            }
            this.tcpIdleTimeout = t;
            return this;
        }

        /** Port of the resolv.conf nameservers; for tests only (resolv.conf has no port syntax). */
        Builder resolvConfPort(int port) {
            this.resolvConfPort = port;
            return this;
        }

        /** Minimum time between two reads of resolv.conf; for tests. */
        Builder resolvConfRecheck(Duration d) {
            this.resolvConfRecheck = d;
            return this;
        }

        /** Builds. */
        public DnsConfig build() {
            return new DnsConfig(this);
        }

        /**
         * Lower-cases and strips the trailing dot; checks the limits of RFC 1035 section
         * 2.3.4 (labels 1..63 octets, 255 octets on the wire, so at most 253 in text).
         */
        private static String normalize(String option, String name) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            if (n.endsWith(".")) {
                n = n.substring(0, n.length() - 1);
            }
            boolean ok = !n.isEmpty() && n.length() <= 253;
            for (String label : n.split("\\.", -1)) {
                ok &= !label.isEmpty() && label.length() <= 63 && label.chars().allMatch(c -> c > 0x20 && c < 0x7f);
            }
            if (!ok) {
                throw new ConfigException(option, "'" + name
                        + "' is not a DNS name (expected labels of 1..63 printable ASCII characters joined by dots,"
                        + " at most 253 characters)");
            }
            return n;
        }
    }
}
