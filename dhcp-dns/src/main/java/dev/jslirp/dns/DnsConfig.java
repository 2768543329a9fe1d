package dev.jslirp.dns;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.wire.Ipv4Address;
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
    private final Map<String, Integer> records;
    private final String hostName;
    private final Duration upstreamTimeout;
    private final int maxInFlight;

    private DnsConfig(Builder b) {
        this.upstreams = Collections.unmodifiableList(new ArrayList<>(b.upstreams));
        this.resolvConf = b.resolvConf;
        this.records = Collections.unmodifiableMap(new LinkedHashMap<>(b.records));
        this.hostName = b.hostName;
        this.upstreamTimeout = b.upstreamTimeout;
        this.maxInFlight = b.maxInFlight;
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

    /** Names answered locally, lower-case without trailing dot, to IPv4 addresses. */
    public Map<String, Integer> records() {
        return records;
    }

    /** The name that resolves to the host (gateway) address, or null for none. */
    public String hostName() {
        return hostName;
    }

    /** How long to wait for one upstream before trying the next. */
    public Duration upstreamTimeout() {
        return upstreamTimeout;
    }

    /** Queries forwarded and not yet answered, at most. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** Builds a {@link DnsConfig}. */
    public static final class Builder {
        private final List<InetSocketAddress> upstreams = new ArrayList<>();
        private Path resolvConf = Paths.get("/etc/resolv.conf");
        private final Map<String, Integer> records = new LinkedHashMap<>();
        private String hostName = "host.jslirp.internal";
        private Duration upstreamTimeout = Duration.ofSeconds(2);
        private int maxInFlight = 256;

        private Builder() {
        }

        /** Adds an upstream resolver. */
        public Builder addUpstream(InetSocketAddress upstream) {
            upstreams.add(upstream);
            return this;
        }

        /** Parses {@code --dns-upstream ADDR[:PORT]} (IPv4; port 53 by default). */
        public Builder addUpstream(String spec) {
            String s = spec.trim();
            int colon = s.lastIndexOf(':');
            try {
                int addr = Ipv4Address.parse(colon < 0 ? s : s.substring(0, colon));
                int port = colon < 0 ? 53 : Integer.parseInt(s.substring(colon + 1));
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("port");
                }
                return addUpstream(new InetSocketAddress(Ipv4Address.toInetAddress(addr), port));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("dns-upstream", "'" + spec + "' (expected a.b.c.d or a.b.c.d:port)");
            }
        }

        /** The resolv.conf to read when no upstream is given. */
        public Builder resolvConf(Path path) {
            this.resolvConf = path;
            return this;
        }

        /** Parses {@code --dns-record name=a.b.c.d}. */
        public Builder addRecord(String spec) {
            int eq = spec.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("dns-record", "'" + spec + "' (expected name=a.b.c.d)");
            }
            int addr;
            try {
                addr = Ipv4Address.parse(spec.substring(eq + 1));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("dns-record", "'" + spec + "' (expected name=a.b.c.d)");
            }
            return addRecord(spec.substring(0, eq), addr);
        }

        /** Answers {@code name} with {@code address} without asking upstream. */
        public Builder addRecord(String name, int address) {
            records.put(normalize(name), address);
            return this;
        }

        /** The name of the host, or null for none. */
        public Builder hostName(String name) {
            this.hostName = name == null ? null : normalize(name);
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

        /** Bound on queries in flight, 1..65536. */
        public Builder maxInFlight(int n) {
            if (n < 1 || n > 65536) {
                throw new ConfigException("dns-max-in-flight", n + " out of range (expected 1..65536)");
            }
            this.maxInFlight = n;
            return this;
        }

        /** Builds. */
        public DnsConfig build() {
            return new DnsConfig(this);
        }

        private static String normalize(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            if (n.endsWith(".")) {
                n = n.substring(0, n.length() - 1);
            }
            if (n.isEmpty() || n.length() > 253) {
                throw new ConfigException("dns-record", "'" + name + "' is not a DNS name");
            }
            return n;
        }
    }
}
