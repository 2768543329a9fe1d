package dev.jslirp.core.config;

import dev.jslirp.core.buffer.MemoryBudget;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Addressing and limits of one virtual network, with QEMU's {@code -netdev user}
 * defaults: net 10.0.2.0/24, host (gateway) 10.0.2.2, DNS 10.0.2.3, DHCP from
 * 10.0.2.15, MTU 1500; and, as QEMU enables by default, IPv6: prefix fec0::/64, host
 * fec0::2, DNS fec0::3, the router's link-local address fe80::2.
 *
 * <p>Immutable; built by {@link Builder}, which checks every value against the others
 * and names the offending option in its {@link ConfigException}.
 */
public final class NetworkConfig {
    /** The MAC prefix of the network's own addresses, as libslirp: 52:55 then the IPv4 address. */
    public static final long OWN_MAC_PREFIX = 0x5255_0000_0000L;
    /** Guests one network takes at once unless configured otherwise. */
    public static final int DEFAULT_MAX_PORTS = 64;
    /** The most {@link Builder#maxPorts} accepts. */
    public static final int MAX_PORTS_LIMIT = 1024;
    private static final IpAddress ROUTER_LINK_LOCAL = IpAddress.parse("fe80::2");
    /** The DNS server's link-local address, fe80::3 as libslirp answers for. */
    private static final IpAddress DNS_LINK_LOCAL = IpAddress.parse("fe80::3");

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
    private final boolean ipv4;
    private final boolean ipv6;
    private final IpAddress ipv6Prefix;
    private final int ipv6PrefixLength;
    private final IpAddress ipv6Host;
    private final IpAddress ipv6Dns;
    private final IpAddress hostAddress;
    private final IpAddress dnsAddress;
    /** Service addresses (see {@link #serviceAddresses()}), IPv4 ones as ints for the ARP path. */
    private final List<IpAddress> serviceAddresses;
    private final int[] serviceIpv4;
    private final IpAddress[] serviceIpv6;
    private final int maxPorts;
    private final long maxMemoryBytes;

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
        this.ipv4 = b.ipv4;
        this.ipv6 = b.ipv6;
        this.ipv6Prefix = b.ipv6Prefix;
        this.ipv6PrefixLength = b.ipv6PrefixLength;
        this.ipv6Host = b.ipv6Host;
        this.ipv6Dns = b.ipv6Dns;
        this.hostAddress = IpAddress.ipv4(host);
        this.dnsAddress = IpAddress.ipv4(dns);
        List<IpAddress> services = new ArrayList<>();
        for (Builder.ServiceAddress a : b.serviceAddresses) {
            if (!services.contains(a.address())) {
                services.add(a.address());
            }
        }
        this.serviceAddresses = List.copyOf(services);
        this.serviceIpv4 = services.stream().filter(IpAddress::isIpv4).mapToInt(IpAddress::ipv4).toArray();
        this.serviceIpv6 = services.stream().filter(IpAddress::isIpv6).toArray(IpAddress[]::new);
        this.maxPorts = b.maxPorts;
        this.maxMemoryBytes = b.maxMemoryBytes;
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
        b.ipv4 = ipv4;
        b.ipv6 = ipv6;
        b.ipv6Prefix = ipv6Prefix;
        b.ipv6PrefixLength = ipv6PrefixLength;
        b.ipv6Host = ipv6Host;
        b.ipv6Dns = ipv6Dns;
        b.ipv6HostSet = true;
        b.ipv6DnsSet = true;
        for (IpAddress a : serviceAddresses) {
            b.serviceAddresses.add(new Builder.ServiceAddress(a, "service address"));
        }
        b.maxPorts = maxPorts;
        b.maxMemoryBytes = maxMemoryBytes;
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

    /** True if {@code addr} is one the network itself answers for (gateway, DNS or a service address). */
    public boolean isOwnAddress(int addr) {
        if (addr == host || addr == dns) {
            return true;
        }
        for (int a : serviceIpv4) {
            if (a == addr) {
                return true;
            }
        }
        return false;
    }

    /**
     * Addresses of the virtual network that services answer at besides the gateway and
     * the DNS address: guest forwards ({@code guestfwd=}, {@code smb=}'s 10.0.2.4). The
     * network answers ARP and neighbour solicitations for them, counts them among its
     * own ({@link #isOwnAddress(long, long)}: no DHCP lease, no port forward goes there)
     * and leaves what the guest sends them to the services.
     */
    public List<IpAddress> serviceAddresses() {
        return serviceAddresses;
    }

    /** True if the network speaks IPv4 ({@code ipv4=on}, the default). */
    public boolean ipv4() {
        return ipv4;
    }

    /** True if the network speaks IPv6 ({@code ipv6=on}, the default, as QEMU). */
    public boolean ipv6() {
        return ipv6;
    }

    /** The IPv6 prefix the guest autoconfigures from ({@code ipv6-net=}, default fec0::/64). */
    public IpAddress ipv6Prefix() {
        return ipv6Prefix;
    }

    /** The length of {@link #ipv6Prefix()}. */
    public int ipv6PrefixLength() {
        return ipv6PrefixLength;
    }

    /** The host's IPv6 address in the prefix ({@code ipv6-host=}, default fec0::2): the host's ::1. */
    public IpAddress ipv6Host() {
        return ipv6Host;
    }

    /** The IPv6 DNS address ({@code ipv6-dns=}, default fec0::3). */
    public IpAddress ipv6Dns() {
        return ipv6Dns;
    }

    /**
     * The router's link-local address, fe80::2 as libslirp: the source of router
     * advertisements and the guest's default route.
     */
    public IpAddress routerLinkLocal() {
        return ROUTER_LINK_LOCAL;
    }

    /** The host (gateway) address as a value. */
    public IpAddress hostAddress() {
        return hostAddress;
    }

    /** The DNS address as a value. */
    public IpAddress dnsAddress() {
        return dnsAddress;
    }

    /** The host address of a family: {@link #hostAddress()} or {@link #ipv6Host()}. */
    public IpAddress hostAddress(boolean ipv6) {
        return ipv6 ? ipv6Host : hostAddress;
    }

    /** The DNS address of a family: {@link #dnsAddress()} or {@link #ipv6Dns()}. */
    public IpAddress dnsAddress(boolean ipv6) {
        return ipv6 ? ipv6Dns : dnsAddress;
    }

    /** True if {@code (hi, lo)} (an {@link IpAddress} pair) is the host address of its family. */
    public boolean isHost(long hi, long lo) {
        return hostAddress.is(hi, lo) || (ipv6 && ipv6Host.is(hi, lo));
    }

    /**
     * The DNS server's link-local address, fe80::3: libslirp answers DNS there too, and a
     * guest may be configured with it.
     */
    public IpAddress dnsLinkLocal() {
        return DNS_LINK_LOCAL;
    }

    /**
     * True if {@code (hi, lo)} is a DNS address of its family: the IPv4 one, and with
     * IPv6 on, {@link #ipv6Dns()} and {@link #dnsLinkLocal()}.
     */
    public boolean isDns(long hi, long lo) {
        return dnsAddress.is(hi, lo) || (ipv6 && (ipv6Dns.is(hi, lo) || DNS_LINK_LOCAL.is(hi, lo)));
    }

    /**
     * True if {@code (hi, lo)} is an address the network itself answers for: the host
     * and DNS addresses of both families and their link-local forms (fe80::2, fe80::3,
     * as libslirp).
     */
    public boolean isOwnAddress(long hi, long lo) {
        if (IpAddress.isIpv4(hi, lo)) {
            return isOwnAddress((int) lo);
        }
        if (!ipv6) {
            return false;
        }
        if (ipv6Host.is(hi, lo) || ipv6Dns.is(hi, lo) || ROUTER_LINK_LOCAL.is(hi, lo) || DNS_LINK_LOCAL.is(hi, lo)) {
            return true;
        }
        for (IpAddress a : serviceIpv6) {
            if (a.is(hi, lo)) {
                return true;
            }
        }
        return false;
    }

    /** True if {@code (hi, lo)} lies in the IPv4 network or the IPv6 prefix. */
    public boolean inNetwork(long hi, long lo) {
        if (IpAddress.isIpv4(hi, lo)) {
            return inNetwork((int) lo);
        }
        return ipv6 && IpAddress.masked(hi, lo, ipv6PrefixLength, ipv6Prefix.hi(), ipv6Prefix.lo());
    }

    /** Guests (ports of the network's switch) attached at once at most ({@code --max-ports}). */
    public int maxPorts() {
        return maxPorts;
    }

    /**
     * The ceiling on the bytes the network holds for its guests and their peers, all
     * flows and queues together ({@code --max-memory}; see {@link dev.jslirp.core.buffer.MemoryBudget}).
     */
    public long maxMemoryBytes() {
        return maxMemoryBytes;
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
                + (!hostLoopback ? ",host-loopback=off" : "")
                + (!ipv4 ? ",ipv4=off" : "")
                + (ipv6 ? ",ipv6-net=" + ipv6Prefix + "/" + ipv6PrefixLength + ",ipv6-host=" + ipv6Host
                        + ",ipv6-dns=" + ipv6Dns : ",ipv6=off")
                + (serviceAddresses.isEmpty() ? "" : ",services=" + serviceAddresses);
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
        private boolean ipv4 = true;
        private boolean ipv6 = true;
        private IpAddress ipv6Prefix = IpAddress.parse("fec0::");
        private int ipv6PrefixLength = 64;
        private IpAddress ipv6Host;
        private IpAddress ipv6Dns;
        private boolean ipv6HostSet;
        private boolean ipv6DnsSet;
        private final List<ServiceAddress> serviceAddresses = new ArrayList<>();

        /** A service address and the option that asked for it, for the error if it does not fit. */
        private record ServiceAddress(IpAddress address, String option) {
        }
        private int maxPorts = DEFAULT_MAX_PORTS;
        private long maxMemoryBytes = MemoryBudget.DEFAULT_LIMIT;

        private Builder() {
        }

        /**
         * Adds a service address ({@link NetworkConfig#serviceAddresses()}); the same
         * address twice counts once. Checked by {@link #build()}: an address of the
         * network (IPv4) or the prefix (IPv6) that is not the network, broadcast, gateway,
         * DNS or first DHCP address.
         *
         * @param option names the setting that asked for it in errors ({@code guestfwd}, {@code smbserver})
         */
        public Builder addServiceAddress(IpAddress address, String option) {
            serviceAddresses.add(new ServiceAddress(java.util.Objects.requireNonNull(address, "address"), option));
            return this;
        }

        /** Sets {@code ipv4=on|off}. */
        public Builder ipv4(boolean on) {
            this.ipv4 = on;
            return this;
        }

        /** Sets {@code ipv6=on|off} (default on, as QEMU). */
        public Builder ipv6(boolean on) {
            this.ipv6 = on;
            return this;
        }

        /**
         * Sets {@code ipv6-net=}: {@code prefix/len}, e.g. {@code fec0::/64}; a bare
         * prefix keeps the current length. As QEMU, the length is 0..126.
         */
        public Builder ipv6Net(String spec) {
            String s = spec.trim();
            int slash = s.lastIndexOf('/');
            IpAddress p = ipv6(slash < 0 ? s : s.substring(0, slash), "ipv6-net",
                    "'" + spec + "' is not an IPv6 prefix (expected e.g. fec0::/64)");
            int len = ipv6PrefixLength;
            if (slash >= 0) {
                try {
                    len = Integer.parseInt(s.substring(slash + 1));
                } catch (NumberFormatException e) {
                    throw new ConfigException("ipv6-net", "'" + spec + "' has a bad prefix length (expected e.g. fec0::/64, length 0..126)");
                }
            }
            ipv6PrefixLength(len, "ipv6-net");
            this.ipv6Prefix = p;
            return this;
        }

        /** Sets QEMU's older {@code ipv6-prefix=} (the prefix without its length). */
        public Builder ipv6Prefix(String prefix) {
            this.ipv6Prefix = ipv6(prefix, "ipv6-prefix", "'" + prefix + "' is not an IPv6 prefix (expected e.g. fec0::)");
            return this;
        }

        /** Sets QEMU's older {@code ipv6-prefixlen=}, 0..126. */
        public Builder ipv6PrefixLength(int len) {
            return ipv6PrefixLength(len, "ipv6-prefixlen");
        }

        private Builder ipv6PrefixLength(int len, String option) {
            if (len < 0 || len > 126) {
                throw new ConfigException(option, "prefix length " + len + " out of range (expected 0..126, as QEMU)");
            }
            this.ipv6PrefixLength = len;
            return this;
        }

        /** Sets {@code ipv6-host=}, the host's address in the prefix (default: ::2 of it). */
        public Builder ipv6Host(String addr) {
            this.ipv6Host = ipv6(addr, "ipv6-host", "'" + addr + "' is not an IPv6 address (expected e.g. fec0::2)");
            this.ipv6HostSet = true;
            return this;
        }

        /** Sets {@code ipv6-dns=}, the IPv6 DNS address (default: ::3 of the prefix). */
        public Builder ipv6Dns(String addr) {
            this.ipv6Dns = ipv6(addr, "ipv6-dns", "'" + addr + "' is not an IPv6 address (expected e.g. fec0::3)");
            this.ipv6DnsSet = true;
            return this;
        }

        private static IpAddress ipv6(String text, String option, String message) {
            IpAddress a;
            try {
                a = IpAddress.parse(text);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(option, message);
            }
            if (!a.isIpv6()) {
                throw new ConfigException(option, message);
            }
            return a;
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

        /** Sets how many guests may be attached at once, 1..{@value #MAX_PORTS_LIMIT} (default {@value #DEFAULT_MAX_PORTS}). */
        public Builder maxPorts(int n) {
            if (n < 1 || n > MAX_PORTS_LIMIT) {
                throw new ConfigException("max-ports", n + " out of range (expected 1.." + MAX_PORTS_LIMIT + ")");
            }
            this.maxPorts = n;
            return this;
        }

        /**
         * Sets the network's memory ceiling ({@link MemoryBudget}), 1m..1024g (default 256 MiB).
         */
        public Builder maxMemory(long bytes) {
            if (bytes < MemoryBudget.MIN_LIMIT || bytes > MemoryBudget.MAX_LIMIT) {
                throw new ConfigException("max-memory", bytes + " bytes out of range (expected 1m..1024g, e.g. 256m "
                        + "or 1g)");
            }
            this.maxMemoryBytes = bytes;
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
            if (!ipv4 && !ipv6) {
                throw new ConfigException("ipv4", "ipv4=off and ipv6=off leave the guest no network (switch one on)");
            }
            ipv6Prefix = ipv6Prefix.network(ipv6PrefixLength);
            if (!ipv6HostSet) {
                ipv6Host = ipv6Prefix.withInterfaceId(ipv6Prefix.lo() | 2);
            }
            if (!ipv6DnsSet) {
                ipv6Dns = ipv6Prefix.withInterfaceId(ipv6Prefix.lo() | 3);
            }
            if (!ipv6Host.inPrefix(ipv6Prefix, ipv6PrefixLength)) {
                throw new ConfigException("ipv6-host", ipv6Host + " is not inside ipv6-net " + ipv6Prefix + "/"
                        + ipv6PrefixLength);
            }
            if (!ipv6Dns.inPrefix(ipv6Prefix, ipv6PrefixLength)) {
                throw new ConfigException("ipv6-dns", ipv6Dns + " is not inside ipv6-net " + ipv6Prefix + "/"
                        + ipv6PrefixLength);
            }
            if (ipv6Dns.equals(ipv6Host)) {
                throw new ConfigException("ipv6-dns", ipv6Dns + " is the IPv6 host address; pick another address");
            }
            for (ServiceAddress a : serviceAddresses) {
                checkServiceAddress(a, bcast);
            }
            return new NetworkConfig(this);
        }

        private void checkServiceAddress(ServiceAddress s, int bcast) {
            IpAddress a = s.address();
            if (a.isIpv4() ? !ipv4 : !ipv6) {
                throw new ConfigException(s.option(), a + " is an " + (a.isIpv4() ? "IPv4" : "IPv6")
                        + " address, and the network serves " + (a.isIpv4() ? "ipv4=off" : "ipv6=off"));
            }
            if (a.isIpv4()) {
                checkInNet(s.option(), a.ipv4(), network, Ipv4Address.mask(prefixLength), bcast);
                int v = a.ipv4();
                if (v == host || v == dns || v == dhcpStart) {
                    throw new ConfigException(s.option(), a + " is the " + (v == host ? "host" : v == dns ? "DNS"
                            : "first DHCP") + " address; pick another address in net " + Ipv4Address.toString(network)
                            + "/" + prefixLength);
                }
                return;
            }
            if (!a.inPrefix(ipv6Prefix, ipv6PrefixLength)) {
                throw new ConfigException(s.option(), a + " is not inside ipv6-net " + ipv6Prefix + "/" + ipv6PrefixLength);
            }
            if (a.equals(ipv6Host) || a.equals(ipv6Dns) || a.equals(ipv6Prefix)) {
                throw new ConfigException(s.option(), a + " is the IPv6 " + (a.equals(ipv6Prefix) ? "prefix's own"
                        : a.equals(ipv6Host) ? "host" : "DNS") + " address; pick another address");
            }
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
