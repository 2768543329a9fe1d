package dev.jslirp.core.config;

import dev.jslirp.core.wire.Ipv4Address;
import java.time.Duration;

/**
 * Addressing and limits of one virtual network, with QEMU's {@code -netdev user}
 * defaults: net 10.0.2.0/24, host (gateway) 10.0.2.2, DNS 10.0.2.3, DHCP from
 * 10.0.2.15, MTU 1500.
 *
 * <p>Immutable; built by {@link Builder}, which checks every value against the others
 * and names the offending option in its {@link ConfigException}.
 */
public final class NetworkConfig {
    /** The MAC prefix of the network's own addresses, as libslirp: 52:55 then the IPv4 address. */
    public static final long OWN_MAC_PREFIX = 0x5255_0000_0000L;

    private final int network;
    private final int prefixLength;
    private final int host;
    private final int dns;
    private final int dhcpStart;
    private final int mtu;
    private final boolean restrict;
    private final boolean hostLoopback;
    private final int maxReassemblyBytes;
    private final int maxReassemblyDatagrams;
    private final Duration reassemblyTimeout;

    private NetworkConfig(Builder b) {
        this.network = b.network;
        this.prefixLength = b.prefixLength;
        this.host = b.host;
        this.dns = b.dns;
        this.dhcpStart = b.dhcpStart;
        this.mtu = b.mtu;
        this.restrict = b.restrict;
        this.hostLoopback = b.hostLoopback;
        this.maxReassemblyBytes = b.maxReassemblyBytes;
        this.maxReassemblyDatagrams = b.maxReassemblyDatagrams;
        this.reassemblyTimeout = b.reassemblyTimeout;
    }

    /** The defaults of QEMU's {@code -netdev user}. */
    public static NetworkConfig defaults() {
        return builder().build();
    }

    /** A builder starting from QEMU's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.network = network;
        b.prefixLength = prefixLength;
        b.host = host;
        b.dns = dns;
        b.dhcpStart = dhcpStart;
        b.hostSet = true;
        b.dnsSet = true;
        b.dhcpStartSet = true;
        b.mtu = mtu;
        b.restrict = restrict;
        b.hostLoopback = hostLoopback;
        b.maxReassemblyBytes = maxReassemblyBytes;
        b.maxReassemblyDatagrams = maxReassemblyDatagrams;
        b.reassemblyTimeout = reassemblyTimeout;
        return b;
    }

    /** The network address ({@code net=}). */
    public int network() {
        return network;
    }

    /** The prefix length of {@code net=}. */
    public int prefixLength() {
        return prefixLength;
    }

    /** The netmask. */
    public int netmask() {
        return Ipv4Address.mask(prefixLength);
    }

    /** The directed broadcast address of the network. */
    public int broadcast() {
        return network | ~netmask();
    }

    /** The gateway, which also stands for the host ({@code host=}). */
    public int host() {
        return host;
    }

    /** The DNS server address the guest is offered ({@code dns=}). */
    public int dns() {
        return dns;
    }

    /** First address of the DHCP pool ({@code dhcpstart=}). */
    public int dhcpStart() {
        return dhcpStart;
    }

    /** IP MTU of the virtual link. */
    public int mtu() {
        return mtu;
    }

    /** True if the guest is isolated from the host and the world ({@code restrict=on}). */
    public boolean restrict() {
        return restrict;
    }

    /** True if connections to the host address reach the host's loopback. */
    public boolean hostLoopback() {
        return hostLoopback && !restrict;
    }

    /** Bytes all datagrams being reassembled may hold at once. */
    public int maxReassemblyBytes() {
        return maxReassemblyBytes;
    }

    /** Datagrams that may be under reassembly at once. */
    public int maxReassemblyDatagrams() {
        return maxReassemblyDatagrams;
    }

    /** Time a datagram's fragments may take to arrive. */
    public Duration reassemblyTimeout() {
        return reassemblyTimeout;
    }

    /** True if {@code addr} lies in the virtual network. */
    public boolean inNetwork(int addr) {
        return (addr & netmask()) == network;
    }

    /** True if {@code addr} is one the network itself answers for (gateway or DNS). */
    public boolean isOwnAddress(int addr) {
        return addr == host || addr == dns;
    }

    /** The MAC the network uses for its own address {@code addr}: 52:55 then the address. */
    public long macOf(int addr) {
        return OWN_MAC_PREFIX | (addr & 0xffffffffL);
    }

    /** The MAC of the gateway, source of every frame the network sends. */
    public long gatewayMac() {
        return macOf(host);
    }

    @Override
    public String toString() {
        return "net=" + Ipv4Address.toString(network) + "/" + prefixLength
                + ",host=" + Ipv4Address.toString(host)
                + ",dns=" + Ipv4Address.toString(dns)
                + ",dhcpstart=" + Ipv4Address.toString(dhcpStart)
                + ",mtu=" + mtu
                + (restrict ? ",restrict=on" : "")
                + (!hostLoopback ? ",host-loopback=off" : "");
    }

    /** Builds a {@link NetworkConfig}; unset addresses follow {@code net=} as in QEMU. */
    public static final class Builder {
        private int network = Ipv4Address.parse("10.0.2.0");
        private int prefixLength = 24;
        private int host;
        private int dns;
        private int dhcpStart;
        private boolean hostSet;
        private boolean dnsSet;
        private boolean dhcpStartSet;
        private int mtu = 1500;
        private boolean restrict;
        private boolean hostLoopback = true;
        private int maxReassemblyBytes = 1 << 20;
        private int maxReassemblyDatagrams = 64;
        private Duration reassemblyTimeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /**
         * Sets {@code net=}: {@code a.b.c.d/len} or {@code a.b.c.d/m.m.m.m}; as QEMU, a
         * bare address takes the prefix of its class (8, 16 or 24).
         */
        public Builder net(String spec) {
            String s = spec.trim();
            int slash = s.indexOf('/');
            int addr;
            int len;
            try {
                addr = Ipv4Address.parse(slash < 0 ? s : s.substring(0, slash));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("net", "'" + spec + "' is not a network (expected a.b.c.d/len, e.g. 10.0.2.0/24)");
            }
            if (slash < 0) {
                int first = addr >>> 24;
                len = first < 128 ? 8 : first < 192 ? 16 : 24;
            } else {
                String m = s.substring(slash + 1);
                if (m.contains(".")) {
                    int mask;
                    try {
                        mask = Ipv4Address.parse(m);
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException("net", "'" + spec + "' has a bad netmask (expected a.b.c.d/len or a.b.c.d/m.m.m.m)");
                    }
                    len = Integer.bitCount(mask);
                    if (Ipv4Address.mask(len) != mask) {
                        throw new ConfigException("net", "'" + spec + "' has a non-contiguous netmask");
                    }
                } else {
                    try {
                        len = Integer.parseInt(m);
                    } catch (NumberFormatException e) {
                        throw new ConfigException("net", "'" + spec + "' has a bad prefix length (expected a.b.c.d/len with len 8..30)");
                    }
                }
            }
            return net(addr, len);
        }

        /** Sets the network address and prefix length. */
        public Builder net(int address, int prefixLength) {
            if (prefixLength < 8 || prefixLength > 30) {
                throw new ConfigException("net", "prefix length " + prefixLength + " out of range (expected 8..30)");
            }
            this.prefixLength = prefixLength;
            this.network = address & Ipv4Address.mask(prefixLength);
            return this;
        }

        /** Sets {@code host=}, the gateway address. */
        public Builder host(String addr) {
            return host(parse("host", addr));
        }

        /** Sets the gateway address. */
        public Builder host(int addr) {
            this.host = addr;
            this.hostSet = true;
            return this;
        }

        /** Sets {@code dns=}, the DNS address offered to the guest. */
        public Builder dns(String addr) {
            return dns(parse("dns", addr));
        }

        /** Sets the DNS address offered to the guest. */
        public Builder dns(int addr) {
            this.dns = addr;
            this.dnsSet = true;
            return this;
        }

        /** Sets {@code dhcpstart=}. */
        public Builder dhcpStart(String addr) {
            return dhcpStart(parse("dhcpstart", addr));
        }

        /** Sets the first DHCP address. */
        public Builder dhcpStart(int addr) {
            this.dhcpStart = addr;
            this.dhcpStartSet = true;
            return this;
        }

        /** Sets the IP MTU of the link, 576..65520 (as QEMU's {@code mtu=} range). */
        public Builder mtu(int mtu) {
            if (mtu < 576 || mtu > 65520) {
                throw new ConfigException("mtu", mtu + " out of range (expected 576..65520)");
            }
            this.mtu = mtu;
            return this;
        }

        /** Sets {@code restrict=on|off}. */
        public Builder restrict(boolean restrict) {
            this.restrict = restrict;
            return this;
        }

        /** Whether the host address reaches the host's loopback (default on). */
        public Builder hostLoopback(boolean on) {
            this.hostLoopback = on;
            return this;
        }

        /** Bounds fragment reassembly: bytes in all, datagrams at once, time per datagram. */
        public Builder reassemblyLimits(int maxBytes, int maxDatagrams, Duration timeout) {
            if (maxBytes < 0 || maxDatagrams < 0 || timeout.isNegative() || timeout.isZero()) {
                throw new ConfigException("reassembly limits", "expected non-negative bounds and a positive timeout");
            }
            this.maxReassemblyBytes = maxBytes;
            this.maxReassemblyDatagrams = maxDatagrams;
            this.reassemblyTimeout = timeout;
            return this;
        }

        /**
         * Checks the values against each other and builds.
         *
         * @throws ConfigException naming the first option at fault
         */
        public NetworkConfig build() {
            int mask = Ipv4Address.mask(prefixLength);
            if (!hostSet) {
                host = network | 2;
            }
            if (!dnsSet) {
                dns = network | 3;
            }
            if (!dhcpStartSet) {
                dhcpStart = network | 15;
            }
            int bcast = network | ~mask;
            checkInNet("host", host, network, mask, bcast);
            checkInNet("dns", dns, network, mask, bcast);
            checkInNet("dhcpstart", dhcpStart, network, mask, bcast);
            if (dns == host) {
                throw new ConfigException("dns", Ipv4Address.toString(dns) + " is the host address; pick another address in the network");
            }
            if (dhcpStart == host || dhcpStart == dns) {
                throw new ConfigException("dhcpstart", Ipv4Address.toString(dhcpStart) + " is the host or DNS address");
            }
            return new NetworkConfig(this);
        }

        private static void checkInNet(String option, int addr, int network, int mask, int bcast) {
            if ((addr & mask) != network) {
                throw new ConfigException(option, Ipv4Address.toString(addr) + " is not inside net "
                        + Ipv4Address.toString(network) + "/" + Integer.bitCount(mask));
            }
            if (addr == network || addr == bcast) {
                throw new ConfigException(option, Ipv4Address.toString(addr) + " is the network or broadcast address");
            }
        }

        private static int parse(String option, String addr) {
            try {
                return Ipv4Address.parse(addr);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(option, "'" + addr + "' is not an IPv4 address (expected a.b.c.d)");
            }
        }
    }
}
