package dev.jslirp.dhcp;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the DHCP server hands out, with QEMU's {@code -netdev user} key names where
 * QEMU has one: {@code hostname=}, {@code domainname=}, {@code dnssearch=},
 * {@code tftp-server-name=}, {@code bootfile=}. Addressing (gateway, DNS,
 * {@code dhcpstart=}, MTU, {@code restrict=}) comes from the network's
 * {@link dev.jslirp.core.config.NetworkConfig}.
 */
public final class DhcpConfig {
    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}\\.?$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\\.?");

    private final int poolSize;
    private final Duration leaseTime;
    private final String hostname;
    private final String domainName;
    private final List<String> dnsSearch;
    private final String tftpServerName;
    private final String bootfile;
    private final Map<Long, Integer> staticLeases;

    private DhcpConfig(Builder b) {
        this.poolSize = b.poolSize;
        this.leaseTime = b.leaseTime;
        this.hostname = b.hostname;
        this.domainName = b.domainName;
        this.dnsSearch = Collections.unmodifiableList(new ArrayList<>(b.dnsSearch));
        this.tftpServerName = b.tftpServerName;
        this.bootfile = b.bootfile;
        this.staticLeases = Collections.unmodifiableMap(new LinkedHashMap<>(b.staticLeases));
    }

    /** QEMU's defaults: 16 addresses, 24-hour leases, no names. */
    public static DhcpConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Addresses in the pool, counted from {@code dhcpstart}. */
    public int poolSize() {
        return poolSize;
    }

    /** Lease duration offered (option 51); T1 and T2 follow RFC 2131 section 4.4.5. */
    public Duration leaseTime() {
        return leaseTime;
    }

    /** Host name for the guest (option 12), or null. */
    public String hostname() {
        return hostname;
    }

    /** Domain name (option 15), or null. */
    public String domainName() {
        return domainName;
    }

    /** Domain search list (option 119, RFC 3397), possibly empty. */
    public List<String> dnsSearch() {
        return dnsSearch;
    }

    /** TFTP server name (option 66), or null. */
    public String tftpServerName() {
        return tftpServerName;
    }

    /** Boot file name (option 67 and the BOOTP {@code file} field), or null. */
    public String bootfile() {
        return bootfile;
    }

    /** Fixed addresses by client MAC. */
    public Map<Long, Integer> staticLeases() {
        return staticLeases;
    }

    /** Builds a {@link DhcpConfig}. */
    public static final class Builder {
        private int poolSize = 16;
        private Duration leaseTime = Duration.ofHours(24);
        private String hostname;
        private String domainName;
        private final List<String> dnsSearch = new ArrayList<>();
        private String tftpServerName;
        private String bootfile;
        private final Map<Long, Integer> staticLeases = new LinkedHashMap<>();

        private Builder() {
        }

        /** Addresses in the pool, 1..1024. */
        public Builder poolSize(int n) {
            if (n < 1 || n > 1024) {
                throw new ConfigException("dhcp-pool-size", n + " out of range (expected 1..1024)");
            }
            this.poolSize = n;
            return this;
        }

        /** Lease time, 60 s .. 1 year. */
        public Builder leaseTime(Duration t) {
            if (t.compareTo(Duration.ofSeconds(60)) < 0 || t.compareTo(Duration.ofDays(365)) > 0) {
                throw new ConfigException("dhcp-lease-time", t.getSeconds() + "s out of range (expected 60..31536000 seconds)");
            }
            this.leaseTime = t;
            return this;
        }

        /** {@code hostname=}: the guest's host name. */
        public Builder hostname(String name) {
            this.hostname = checkName("hostname", name);
            return this;
        }

        /** {@code domainname=}. */
        public Builder domainName(String name) {
            this.domainName = checkName("domainname", name);
            return this;
        }

        /** {@code dnssearch=}: adds one search domain (repeatable, as in QEMU). */
        public Builder addDnsSearch(String domain) {
            dnsSearch.add(checkName("dnssearch", domain));
            return this;
        }

        /** {@code tftp-server-name=}. */
        public Builder tftpServerName(String name) {
            this.tftpServerName = checkText("tftp-server-name", name);
            return this;
        }

        /** {@code bootfile=}. */
        public Builder bootfile(String file) {
            this.bootfile = checkText("bootfile", file);
            if (file.length() > 127) {
                throw new ConfigException("bootfile", "longer than the 128-byte BOOTP file field");
            }
            return this;
        }

        /** A fixed address for a MAC ({@code --dhcp-static MAC=ADDR}). */
        public Builder staticLease(long mac, int address) {
            staticLeases.put(mac, address);
            return this;
        }

        /** Parses {@code aa:bb:cc:dd:ee:ff=a.b.c.d}. */
        public Builder staticLease(String spec) {
            int eq = spec.indexOf('=');
            try {
                if (eq < 0) {
                    throw new IllegalArgumentException("no '='");
                }
                return staticLease(MacAddress.parse(spec.substring(0, eq)), Ipv4Address.parse(spec.substring(eq + 1)));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("dhcp-static", "'" + spec + "' (expected aa:bb:cc:dd:ee:ff=a.b.c.d)");
            }
        }

        /** Builds. */
        public DhcpConfig build() {
            return new DhcpConfig(this);
        }

        private static String checkName(String option, String name) {
            Objects.requireNonNull(name, option);
            if (!DNS_NAME.matcher(name).matches()) {
                throw new ConfigException(option, "'" + name + "' is not a DNS name (labels of letters, digits and '-', up to 63 characters each)");
            }
            return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        }

        private static String checkText(String option, String text) {
            Objects.requireNonNull(text, option);
            if (text.isEmpty() || text.length() > 255 || !text.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                throw new ConfigException(option, "expected 1..255 printable ASCII characters");
            }
            return text;
        }
    }
}
