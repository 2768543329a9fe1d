package dev.jslirp.autoconf;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.NdpOptions;
import dev.jslirp.dhcp.DhcpConfig;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * The network's router side of IPv6 autoconfiguration (RFC 4861 section 6.2): answers
 * the guest's router solicitations and advertises unasked, so the guest's own SLAAC
 * (RFC 4862) gives it an address in {@code ipv6-net} and a default route via fe80::2, as
 * QEMU's {@code -netdev user} does. What the advertisement says is
 * {@link RouterAdvertisement}'s.
 *
 * <h2>Theory of operation</h2>
 * <p><b>What it takes.</b> ICMPv6 router solicitations (type 133) to all routers
 * (ff02::2) or to one of the network's own addresses; the core has checked the IPv6 header
 * and the ICMPv6 checksum. A solicitation is valid (section 6.1.1) with hop limit 255,
 * code 0, at least 8 bytes, options of non-zero length inside the message, and no source
 * link-layer option if it comes from the unspecified address; an invalid one is dropped
 * and counted ({@link RaCounter}). A valid one with a source link-layer option tells the
 * core where the guest is (section 6.2.6).
 *
 * <p><b>When it advertises.</b> Every advertisement goes to all nodes (ff02::1) from the
 * router's link-local address fe80::2, and each one, solicited or not, resets the periodic
 * timer (section 6.2.4):
 * <ul>
 *   <li>In answer to solicitations, after a random delay of up to
 *       {@value #MAX_RA_DELAY_MILLIS} ms (MAX_RA_DELAY_TIME, section 6.2.6), and never
 *       sooner than {@value #MIN_DELAY_BETWEEN_RAS_SECONDS} s (MIN_DELAY_BETWEEN_RAS)
 *       after the last advertisement. Solicitations while one is scheduled are answered by
 *       it: a flood of solicitations costs one advertisement per 3 s and no memory.
 *       (libslirp answers each solicitation at once, so a flood is echoed one for one.)</li>
 *   <li>Unasked: when a guest attaches, its first {@value #MAX_INITIAL_RTR_ADVERTISEMENTS}
 *       advertisements come {@value #MAX_INITIAL_RTR_ADVERT_INTERVAL_SECONDS} s apart
 *       (MAX_INITIAL_RTR_ADVERTISEMENTS and MAX_INITIAL_RTR_ADVERT_INTERVAL, section
 *       6.2.4), for a guest whose own solicitations were lost or that sends none; then
 *       every {@value #MIN_RTR_ADV_INTERVAL_SECONDS}..{@value #MAX_RTR_ADV_INTERVAL_SECONDS}
 *       s at random (MinRtrAdvInterval, MaxRtrAdvInterval as libslirp), so prefix, router
 *       and DNS lifetimes never run out. Nothing is sent while no guest is attached.</li>
 * </ul>
 *
 * <p>Runs on the network's event loop; holds at most two timers.
 */
public final class RouterAdvertiser implements GuestService {
    /** ICMPv6 type of a router solicitation (RFC 4861 section 4.1). */
    static final int TYPE_ROUTER_SOLICITATION = 133;
    /** Type, code, checksum, reserved: a solicitation without options (section 4.1). */
    static final int SOLICITATION_LENGTH = 8;
    static final long MAX_RA_DELAY_MILLIS = 500;
    static final long MIN_DELAY_BETWEEN_RAS_SECONDS = 3;
    static final int MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
    static final long MAX_INITIAL_RTR_ADVERT_INTERVAL_SECONDS = 16;
    /** libslirp's NDP_MinRtrAdvInterval and NDP_MaxRtrAdvInterval (ip6_icmp.h), in seconds. */
    static final long MIN_RTR_ADV_INTERVAL_SECONDS = 200;
    static final long MAX_RTR_ADV_INTERVAL_SECONDS = 600;
    private static final IpAddress ALL_NODES = IpAddress.parse("ff02::1");
    private static final IpAddress ALL_ROUTERS = IpAddress.parse("ff02::2");

    private final List<String> searchDomains;
    private final RandomGenerator random;
    private GuestContext context;
    private NetworkConfig net;
    private Counters<RaCounter> counters;
    private RouterAdvertisement advertisement;
    private ScheduledFuture<?> solicited;
    private ScheduledFuture<?> periodic;
    private int initialLeft;
    /** When the last advertisement went out, on the network's clock; valid if {@link #sentAny}. */
    private long lastSentNanos;
    private boolean sentAny;

    /** Advertises {@code dhcp}'s search domains ({@code dnssearch=}) with the network's addressing. */
    public RouterAdvertiser(DhcpConfig dhcp) {
        this(dhcp, new SplittableRandom());
    }

    /** With the random source of the delays, for tests. */
    RouterAdvertiser(DhcpConfig dhcp, RandomGenerator random) {
        this.searchDomains = List.copyOf(Objects.requireNonNull(dhcp, "dhcp").dnsSearch());
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public void start(GuestContext ctx) {
        this.context = ctx;
        this.net = ctx.config();
        this.counters = ctx.stats().service("ra", RaCounter.class);
        this.advertisement = RouterAdvertisement.of(net, searchDomains);
        counters.add(RaCounter.SEARCH_DOMAINS_LEFT_OUT, advertisement.domainsLeftOut());
        if (ctx.isGuestAttached()) {
            beginAdvertising();
        }
    }

    /**
     * Takes router solicitations (see the class comment); the packet stays the caller's.
     *
     * @return true for every router solicitation to all routers or to the network's own address
     */
    @Override
    public boolean handle(GuestPacket p) {
        if (p.protocol() != GuestPacket.PROTO_ICMPV6 || !p.isIpv6() || p.transportLength() < 1
                || p.buffer().getUnsignedByte(p.transportOffset()) != TYPE_ROUTER_SOLICITATION
                || !(p.destinationIs(ALL_ROUTERS) || net.isOwnAddress(p.destinationHi(), p.destinationLo()))) {
            return false;
        }
        RaCounter bad = validate(p);
        if (bad != null) {
            counters.increment(bad);
            return true;
        }
        counters.increment(RaCounter.SOLICITATIONS);
        long mac = sourceLinkLayer(p);
        if (mac >= 0 && !MacAddress.isMulticast(mac)) {
            context.addNeighbor(p.source(), mac);
        }
        if (solicited != null) {
            counters.increment(RaCounter.SOLICITATIONS_COALESCED);
            return true;
        }
        long now = context.nanoTime();
        long delay = TimeUnit.MILLISECONDS.toNanos(random.nextLong(MAX_RA_DELAY_MILLIS + 1));
        long at = now + delay;
        long earliest = lastSentNanos + TimeUnit.SECONDS.toNanos(MIN_DELAY_BETWEEN_RAS_SECONDS);
        if (sentAny && at - earliest < 0) {
            at = earliest + delay;      // section 6.2.6: MIN_DELAY_BETWEEN_RAS plus the random delay
        }
        solicited = context.eventLoop().schedule(this::sendSolicited, at - now, TimeUnit.NANOSECONDS);
        return true;
    }

    /** The reason to drop the solicitation at hand, or null if it is valid (RFC 4861 section 6.1.1). */
    private static RaCounter validate(GuestPacket p) {
        if (p.hopLimit() != 255) {
            return RaCounter.INVALID_HOP_LIMIT;
        }
        int off = p.transportOffset();
        int len = p.transportLength();
        if (len < SOLICITATION_LENGTH) {
            return RaCounter.TRUNCATED;
        }
        if (p.buffer().getUnsignedByte(off + 1) != 0) {
            return RaCounter.INVALID_CODE;
        }
        long mac = sourceLinkLayer(p);
        if (mac == NdpOptions.MALFORMED) {
            return RaCounter.INVALID_OPTIONS;
        }
        if (mac >= 0 && p.sourceHi() == 0 && p.sourceLo() == 0) {
            return RaCounter.UNSPECIFIED_SOURCE_WITH_LINK_LAYER;
        }
        return null;
    }

    /** The MAC of the solicitation's first source link-layer option, or {@link NdpOptions#ABSENT} or {@link NdpOptions#MALFORMED}. */
    private static long sourceLinkLayer(GuestPacket p) {
        return NdpOptions.linkLayerAddress(p.buffer(), p.transportOffset() + SOLICITATION_LENGTH,
                p.transportOffset() + p.transportLength(), NdpOptions.SOURCE_LINK_LAYER);
    }

    /** A guest came: the first advertisements again (for it), then the periodic ones. */
    @Override
    public void guestAttached(GuestPort port) {
        if (context == null) {
            return;     // before start(); start() begins if a guest is there
        }
        beginAdvertising();
    }

    private void beginAdvertising() {
        initialLeft = MAX_INITIAL_RTR_ADVERTISEMENTS;
        schedulePeriodic();
    }

    /** The last guest is gone: no advertisements until one attaches again. */
    @Override
    public void guestDetached(GuestPort port) {
        if (!context.isGuestAttached()) {
            cancelTimers();
            initialLeft = 0;
        }
    }

    @Override
    public void stop() {
        cancelTimers();
    }

    private void cancelTimers() {
        if (solicited != null) {
            solicited.cancel(false);
            solicited = null;
        }
        if (periodic != null) {
            periodic.cancel(false);
            periodic = null;
        }
    }

    private void sendSolicited() {
        solicited = null;
        counters.increment(RaCounter.SOLICITED_SENT);
        advertise();
    }

    private void sendUnsolicited() {
        periodic = null;
        if (initialLeft > 0) {
            initialLeft--;
        }
        counters.increment(RaCounter.UNSOLICITED_SENT);
        advertise();
    }

    /** Sends the advertisement to all nodes and restarts the periodic timer (section 6.2.4). */
    private void advertise() {
        if (!context.isGuestAttached()) {
            return;
        }
        int len = advertisement.length();
        ByteBuf frame = context.newFrame(len);
        advertisement.writeTo(frame);
        context.send(frame, net.routerLinkLocal(), ALL_NODES, GuestPacket.PROTO_ICMPV6, 0);
        lastSentNanos = context.nanoTime();
        sentAny = true;
        if (solicited != null) {
            solicited.cancel(false);    // this one answers the solicitations too
            solicited = null;
        }
        schedulePeriodic();
    }

    /**
     * Sets the periodic timer to a random interval in [MinRtrAdvInterval,
     * MaxRtrAdvInterval], or to MAX_INITIAL_RTR_ADVERT_INTERVAL for the first
     * advertisements after a guest attached (section 6.2.4).
     */
    private void schedulePeriodic() {
        if (periodic != null) {
            periodic.cancel(false);
        }
        long seconds = initialLeft > 0 ? MAX_INITIAL_RTR_ADVERT_INTERVAL_SECONDS
                : random.nextLong(MIN_RTR_ADV_INTERVAL_SECONDS, MAX_RTR_ADV_INTERVAL_SECONDS + 1);
        periodic = context.eventLoop().schedule(this::sendUnsolicited, seconds, TimeUnit.SECONDS);
    }

    /** The ICMPv6 message an advertisement carries (for tests). */
    RouterAdvertisement advertisement() {
        return advertisement;
    }
}
