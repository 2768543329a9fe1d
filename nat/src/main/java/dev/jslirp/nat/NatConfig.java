package dev.jslirp.nat;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.nat.guestfwd.GuestForward;
import dev.jslirp.nat.hostfwd.HostForward;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Bounds, timeouts and port forwards of the NAT. Every table has a bound and every
 * buffer a size fixed here, so nothing the guest or a host peer does can grow memory
 * past what this configuration allows.
 */
public final class NatConfig {
    private final int maxTcpFlows;
    private final int maxHalfOpen;
    private final int maxUdpFlows;
    private final int tcpBufferBytes;
    private final Duration tcpConnectTimeout;
    private final Duration tcpIdleTimeout;
    private final Duration tcpTimeWait;
    private final Duration udpIdleTimeout;
    private final UdpFiltering udpFiltering;
    private final IcmpEcho icmpEcho;
    private final int maxIcmpSessions;
    private final Duration icmpIdleTimeout;
    private final int icmpEchoRate;
    private final List<HostForward> forwards;
    private final InetAddress outboundAddress4;
    private final InetAddress outboundAddress6;
    private final ForwardSource forwardSource;
    private final List<GuestForward> guestForwards;

    /** Where a port forward's host client appears to come from in the guest ({@code hostfwd-source=}). */
    public enum ForwardSource {
        /**
         * The client's own address and port, as libslirp shows non-loopback clients
         * (loopback clients, and those the guest could not answer, from the gateway).
         */
        CLIENT,
        /** Every client from the gateway address and a port of the NAT's choosing. */
        GATEWAY;

        /**
         * {@code client} or {@code gateway}, in any case.
         *
         * @throws ConfigException naming {@code hostfwd-source} and the accepted values
         */
        public static ForwardSource parse(String text) {
            switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "client":
                    return CLIENT;
                case "gateway":
                    return GATEWAY;
                default:
                    throw new ConfigException("hostfwd-source", "'" + text + "' (expected client or gateway)");
            }
        }
    }

    private NatConfig(Builder b) {
        this.maxTcpFlows = b.maxTcpFlows;
        this.maxHalfOpen = b.maxHalfOpen;
        this.maxUdpFlows = b.maxUdpFlows;
        this.tcpBufferBytes = b.tcpBufferBytes;
        this.tcpConnectTimeout = b.tcpConnectTimeout;
        this.tcpIdleTimeout = b.tcpIdleTimeout;
        this.tcpTimeWait = b.tcpTimeWait;
        this.udpIdleTimeout = b.udpIdleTimeout;
        this.udpFiltering = b.udpFiltering;
        this.icmpEcho = b.icmpEcho;
        this.maxIcmpSessions = b.maxIcmpSessions;
        this.icmpIdleTimeout = b.icmpIdleTimeout;
        this.icmpEchoRate = b.icmpEchoRate;
        this.forwards = Collections.unmodifiableList(new ArrayList<>(b.forwards));
        this.outboundAddress4 = b.outboundAddress4;
        this.outboundAddress6 = b.outboundAddress6;
        this.forwardSource = b.forwardSource;
        this.guestForwards = List.copyOf(b.guestForwards);
    }

    /** The defaults. */
    public static NatConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values (forwards and guest forwards included). */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxTcpFlows = maxTcpFlows;
        b.maxHalfOpen = maxHalfOpen;
        b.maxUdpFlows = maxUdpFlows;
        b.tcpBufferBytes = tcpBufferBytes;
        b.tcpConnectTimeout = tcpConnectTimeout;
        b.tcpIdleTimeout = tcpIdleTimeout;
        b.tcpTimeWait = tcpTimeWait;
        b.udpIdleTimeout = udpIdleTimeout;
        b.udpFiltering = udpFiltering;
        b.icmpEcho = icmpEcho;
        b.maxIcmpSessions = maxIcmpSessions;
        b.icmpIdleTimeout = icmpIdleTimeout;
        b.icmpEchoRate = icmpEchoRate;
        b.forwards.addAll(forwards);
        b.outboundAddress4 = outboundAddress4;
        b.outboundAddress6 = outboundAddress6;
        b.forwardSource = forwardSource;
        b.guestForwards.addAll(guestForwards);
        return b;
    }

    /** TCP connections at once, per guest. */
    public int maxTcpFlows() {
        return maxTcpFlows;
    }

    /** TCP connections at once whose host connect has not completed yet. */
    public int maxHalfOpen() {
        return maxHalfOpen;
    }

    /** UDP flows (guest address and port to remote) at once. */
    public int maxUdpFlows() {
        return maxUdpFlows;
    }

    /**
     * Per-direction buffer of one TCP flow: data from the host not yet acknowledged by
     * the guest, and the window offered to the guest for data not yet written to the host.
     */
    public int tcpBufferBytes() {
        return tcpBufferBytes;
    }

    /** How long a host connect may take before the guest gets a RST. */
    public Duration tcpConnectTimeout() {
        return tcpConnectTimeout;
    }

    /** How long an established TCP flow may stay silent both ways. */
    public Duration tcpIdleTimeout() {
        return tcpIdleTimeout;
    }

    /** TIME_WAIT duration (2 MSL). */
    public Duration tcpTimeWait() {
        return tcpTimeWait;
    }

    /** How long a UDP flow lives without traffic. */
    public Duration udpIdleTimeout() {
        return udpIdleTimeout;
    }

    /** Which host datagrams reach a guest's UDP flow (default {@link UdpFiltering#ENDPOINT}). */
    public UdpFiltering udpFiltering() {
        return udpFiltering;
    }

    /** How echo requests to other hosts leave (default {@link IcmpEcho#AUTO}). */
    public IcmpEcho icmpEcho() {
        return icmpEcho;
    }

    /**
     * Echo sessions (guest address and echo identifier) at once, each a ping socket or an
     * identifier on the shared raw socket; the least recently used makes room for a new one.
     */
    public int maxIcmpSessions() {
        return maxIcmpSessions;
    }

    /** How long an echo session lives without a request or reply. */
    public Duration icmpIdleTimeout() {
        return icmpIdleTimeout;
    }

    /** Echo requests per second the guest may send to other hosts (a burst of as many is allowed). */
    public int icmpEchoRate() {
        return icmpEchoRate;
    }

    /** Port forwards, in the order given. */
    public List<HostForward> forwards() {
        return forwards;
    }

    /**
     * Guest forwards ({@code guestfwd=}, {@code smb=}), in the order given. Their server
     * addresses must be service addresses of the network ({@link GuestForward#serverIn},
     * {@code NetworkConfig.Builder.addServiceAddress}), which {@code JslirpNetwork} adds.
     */
    public List<GuestForward> guestForwards() {
        return guestForwards;
    }

    /**
     * The host addresses the NAT's own sockets towards the world are bound to (TCP
     * connects and UDP flows the guest opens), at most one per family, in the order
     * IPv4, IPv6; empty to let the kernel choose by route, as usual. slirp4netns's
     * {@code --outbound-addr} and {@code --outbound-addr6} (libslirp's
     * {@code outbound_addr}, {@code outbound_addr6}): on a host with several addresses
     * they pick the one the guest's traffic leaves from. Port forwards' listeners are
     * not affected.
     */
    public List<InetAddress> outboundAddresses() {
        List<InetAddress> l = new ArrayList<>(2);
        if (outboundAddress4 != null) {
            l.add(outboundAddress4);
        }
        if (outboundAddress6 != null) {
            l.add(outboundAddress6);
        }
        return Collections.unmodifiableList(l);
    }

    /**
     * Where a port forward's host client appears to come from in the guest: its own
     * address (the default, as libslirp) or always the gateway. The rule itself lives in
     * {@link HostAddressMapper#forwardSource}.
     */
    public ForwardSource forwardSource() {
        return forwardSource;
    }

    /**
     * Where a host socket connecting to {@code target} is bound first: the outbound
     * address of the target's family with any port when there is one, else null
     * (unbound; the kernel picks). Every outgoing socket, to the host's loopback too,
     * as libslirp binds them all.
     */
    public InetSocketAddress outboundBinding(InetSocketAddress target) {
        if (target.getAddress() == null) {
            return null;
        }
        return outboundBinding(!(target.getAddress() instanceof Inet4Address));
    }

    /**
     * Where a host socket of the family is bound first: the outbound address of the family
     * with any port, or null (unbound, or the wildcard: the kernel picks).
     */
    public InetSocketAddress outboundBinding(boolean ipv6) {
        InetAddress local = ipv6 ? outboundAddress6 : outboundAddress4;
        return local == null ? null : new InetSocketAddress(local, 0);
    }

    /** Builds a {@link NatConfig}. */
    public static final class Builder {
        private int maxTcpFlows = 4096;
        private int maxHalfOpen = 256;
        private int maxUdpFlows = 1024;
        private int tcpBufferBytes = 1 << 20;
        private Duration tcpConnectTimeout = Duration.ofSeconds(30);
        private Duration tcpIdleTimeout = Duration.ofHours(2);
        private Duration tcpTimeWait = Duration.ofSeconds(60);
        private Duration udpIdleTimeout = Duration.ofSeconds(240);
        private UdpFiltering udpFiltering = UdpFiltering.ENDPOINT;
        private IcmpEcho icmpEcho = IcmpEcho.AUTO;
        private int maxIcmpSessions = 128;
        // Linux conntrack's for ICMP (nf_conntrack_icmp_timeout): pings come every second or so.
        private Duration icmpIdleTimeout = Duration.ofSeconds(30);
        private int icmpEchoRate = 1000;
        private final List<HostForward> forwards = new ArrayList<>();
        private InetAddress outboundAddress4;
        private InetAddress outboundAddress6;
        private ForwardSource forwardSource = ForwardSource.CLIENT;
        private final List<GuestForward> guestForwards = new ArrayList<>();

        private Builder() {
        }

        /** Bound on TCP flows, 1..1000000. */
        public Builder maxTcpFlows(int n) {
            this.maxTcpFlows = range("max-tcp-flows", n, 1, 1_000_000);
            return this;
        }

        /** Bound on half-open TCP flows, 1..65536. */
        public Builder maxHalfOpen(int n) {
            this.maxHalfOpen = range("max-half-open", n, 1, 65536);
            return this;
        }

        /** Bound on UDP flows, 1..1000000. */
        public Builder maxUdpFlows(int n) {
            this.maxUdpFlows = range("max-udp-flows", n, 1, 1_000_000);
            return this;
        }

        /** Per-direction TCP flow buffer, 16 KiB .. 64 MiB. */
        public Builder tcpBufferBytes(int n) {
            this.tcpBufferBytes = range("tcp-buffer", n, 16 << 10, 64 << 20);
            return this;
        }

        /** Host connect timeout. */
        public Builder tcpConnectTimeout(Duration t) {
            this.tcpConnectTimeout = positive("tcp-connect-timeout", t);
            return this;
        }

        /** Idle timeout of established TCP flows. */
        public Builder tcpIdleTimeout(Duration t) {
            this.tcpIdleTimeout = positive("tcp-idle-timeout", t);
            return this;
        }

        /** TIME_WAIT duration. */
        public Builder tcpTimeWait(Duration t) {
            this.tcpTimeWait = positive("tcp-time-wait", t);
            return this;
        }

        /** Idle timeout of UDP flows. */
        public Builder udpIdleTimeout(Duration t) {
            this.udpIdleTimeout = positive("udp-idle-timeout", t);
            return this;
        }

        /** UDP filtering (RFC 4787). */
        public Builder udpFiltering(UdpFiltering f) {
            this.udpFiltering = Objects.requireNonNull(f, "udpFiltering");
            return this;
        }

        /** How echo requests to other hosts leave. */
        public Builder icmpEcho(IcmpEcho e) {
            this.icmpEcho = Objects.requireNonNull(e, "icmpEcho");
            return this;
        }

        /** Bound on echo sessions, 1..65536. */
        public Builder maxIcmpSessions(int n) {
            this.maxIcmpSessions = range("max-icmp-sessions", n, 1, 65536);
            return this;
        }

        /** Idle timeout of echo sessions. */
        public Builder icmpIdleTimeout(Duration t) {
            this.icmpIdleTimeout = positive("icmp-idle-timeout", t);
            return this;
        }

        /** Echo requests per second to other hosts, 1..1000000. */
        public Builder icmpEchoRate(int n) {
            this.icmpEchoRate = range("icmp-echo-rate", n, 1, 1_000_000);
            return this;
        }

        /** Adds a port forward. */
        public Builder addForward(HostForward forward) {
            forwards.add(forward);
            return this;
        }

        /** Adds a port forward in QEMU's syntax. */
        public Builder addForward(String spec) {
            return addForward(HostForward.parse(spec));
        }

        /** Adds a guest forward. */
        public Builder addGuestForward(GuestForward forward) {
            guestForwards.add(Objects.requireNonNull(forward, "forward"));
            return this;
        }

        /** Adds guest forwards, in order. */
        public Builder addGuestForwards(List<GuestForward> more) {
            more.forEach(this::addGuestForward);
            return this;
        }

        /** Adds a guest forward in QEMU's syntax, {@code [tcp]:[server]:port-DEV} (see {@link GuestForward}). */
        public Builder addGuestForward(String spec) {
            return addGuestForward(GuestForward.parse(spec));
        }

        /**
         * Binds the NAT's outgoing host sockets of {@code address}'s family to it,
         * replacing an earlier address of that family; see
         * {@link NatConfig#outboundAddresses()}. Whether the address is one of the
         * host's shows when the first socket binds.
         */
        public Builder outboundAddress(InetAddress address) {
            if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
                throw new ConfigException("outbound-addr", address.getHostAddress()
                        + " is not a unicast address of this host (expected one of its addresses)");
            }
            if (address instanceof Inet4Address) {
                this.outboundAddress4 = address;
            } else {
                this.outboundAddress6 = address;
            }
            return this;
        }

        /** Where forwarded connections appear to come from in the guest (default: the client). */
        public Builder forwardSource(ForwardSource source) {
            this.forwardSource = java.util.Objects.requireNonNull(source, "source");
            return this;
        }

        /** Builds. */
        public NatConfig build() {
            return new NatConfig(this);
        }

        private static int range(String option, int n, int min, int max) {
            if (n < min || n > max) {
                throw new ConfigException(option, n + " out of range (expected " + min + ".." + max + ")");
            }
            return n;
        }

        private static Duration positive(String option, Duration t) {
            if (t.isNegative() || t.isZero()) {
                throw new ConfigException(option, "expected a positive duration");
            }
            return t;
        }
    }
}
