package dev.jslirp.core.iface;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.wire.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The virtual switch of one network: its ports ({@link SwitchPort}, one per guest
 * transport) and the L2 decisions, as a learning bridge makes them (IEEE 802.1D).
 *
 * <h2>Theory of operation</h2>
 * <p><b>Ingress.</b> A frame from a port first has its source MAC {@link #admit}ted:
 * learned into the {@link MacTable} (at most {@link #MACS_PER_PORT} per port; a flood of
 * made-up MACs is dropped on its own port, never pushing out another's), refused if it
 * is no guest's (zero, multicast, the network's own 52:55 prefix), refused if another
 * attached port has it. One case of the last is a guest reconnecting: its new
 * connection may speak before the old one's close has been read on the same loop, so a
 * port that has no MAC yet and claims one in use has its frames held (at most
 * {@link #HOLD_FRAMES}, {@link #HOLD_NANOS}): if the old port detaches meanwhile, they are
 * replayed as if just received; if not, the newcomer was spoofing and they are dropped.
 * Then {@link #forward} looks at the destination: the network's own MACs go to the
 * engine only; a guest's MAC on another port gets a copy on that port; broadcast,
 * multicast and unknown unicast are flooded to the other ports (at most
 * {@link #FLOOD_PER_SECOND} a second per sending port, in bursts of
 * {@link #FLOOD_BURST}) and go to the engine as well. Isolated ports exchange nothing with
 * other guests.
 *
 * <p><b>Egress.</b> The engine's frames ({@link #fromEngine}) go to the port of their
 * destination MAC, or to every port for broadcast and multicast (a DHCP reply, an ARP
 * request, a router advertisement); the engine reaches isolated ports. A unicast MAC on
 * no port is a guest that left (every attached guest's MAC is known from its first frame
 * and does not age while it is attached): dropped, not flooded to the others.
 *
 * <p><b>Copies and bounds.</b> A frame switched between guests is copied once into a
 * buffer of its own size, with {@link FrameSink#HEADROOM} in front: the receiving port's
 * queue then holds only bytes of its own frames (a slice would pin the sender's whole
 * read buffer for as long as a slow receiver keeps it), and its transport may write its
 * header in front. So does each extra copy of a flood. A port's queue is bounded by its
 * sink ({@link FrameSink}); floods skip a port that is not writable, so a stopped guest
 * keeps only what was sent to it. Each port flushes once per event-loop turn.
 *
 * <p><b>One port.</b> The common case is the fast one: with a single port nothing is
 * looked up in the MAC table on either path; the source MAC is compared with the last
 * one admitted and the frame goes to the engine, and the engine's frames go to the port
 * (once the network has had two ports at once, they go by MAC even to the last one, so
 * that it does not get frames for a guest that left).
 * A guest alone has nobody to spoof or flood: its frames are all admitted (the MACs
 * beyond its bound are not learned), as before the network had a switch.
 *
 * <p>Confined to the network's event loop.
 */
final class EthernetSwitch {
    /** MACs a port may have at once: a VM has one; a VM bridging containers may show a few. */
    static final int MACS_PER_PORT = 16;
    /** Frames a port may hold while its MAC is in use elsewhere. */
    static final int HOLD_FRAMES = 16;
    /** How long they are held: far more than a closed connection takes to be read on the loop. */
    static final long HOLD_NANOS = 500_000_000L;
    /** Broadcast, multicast and unknown unicast flooded per second per port, on average. */
    static final int FLOOD_PER_SECOND = 1000;
    /** The burst allowed above that rate. */
    static final int FLOOD_BURST = 1000;
    /** How often the fast path refreshes its MAC's entry (it ages only for takeovers). */
    private static final long REFRESH_NANOS = 1_000_000_000L;
    /** 802.1Q and 802.1ad tags: the guard cannot look past them, so tagged frames are not switched. */
    private static final int TYPE_VLAN = 0x8100;
    private static final int TYPE_QINQ = 0x88a8;

    /** {@link #admit}: go on. */
    static final int ADMITTED = 0;
    /** {@link #admit}: dropped and counted. */
    static final int DROPPED = 1;
    /** {@link #admit}: held for a replay (a reconnect in progress). */
    static final int HELD = 2;

    private final int maxPorts;
    private final EventLoop loop;
    private final ByteBufAllocator alloc;
    private final NetworkStats stats;
    private final MacTable macs;
    private final Runnable flushTask = this::flush;
    private SwitchPort[] ports = new SwitchPort[1];
    private int count;
    /** The one port, while there is exactly one: the fast path. */
    private SwitchPort solo;
    /**
     * True once two ports were attached at once: from then on the network's frames go
     * strictly by MAC, even with one port left, so frames for a guest that left do not
     * reach the one that stayed.
     */
    private boolean everShared;
    private int nextId = 1;
    private SwitchPort[] dirty = new SwitchPort[1];
    private int dirtyCount;
    private boolean flushScheduled;
    private boolean completesTcpChecksums;
    private int holding;

    EthernetSwitch(NetworkConfig config, EventLoop loop, ByteBufAllocator alloc, NetworkStats stats) {
        this.maxPorts = config.maxPorts();
        this.loop = loop;
        this.alloc = alloc;
        this.stats = stats;
        this.macs = new MacTable(maxPorts * MACS_PER_PORT);
    }

    // ---------------------------------------------------------------- ports

    /**
     * Adds a port for {@code sink}.
     *
     * @throws IllegalStateException if the network has its maximum of ports
     */
    SwitchPort attach(FrameSink sink, PortOptions options, long now) {
        if (count == maxPorts) {
            throw new IllegalStateException("the network has its maximum of " + maxPorts + " ports");
        }
        SwitchPort p = new SwitchPort(nextId++, options, sink, now, FLOOD_BURST);
        if (count == ports.length) {
            ports = Arrays.copyOf(ports, Math.min(maxPorts, count * 2));
        }
        ports[count++] = p;
        changed();
        return p;
    }

    /** Removes {@code p}: its MACs are forgotten and what it held is released. */
    void detach(SwitchPort p) {
        int i = indexOf(p);
        if (i < 0) {
            return;
        }
        System.arraycopy(ports, i + 1, ports, i, count - i - 1);
        ports[--count] = null;
        p.attached = false;
        macs.removePort(p);
        releaseHeld(p, false);
        changed();
    }

    private void changed() {
        solo = count == 1 ? ports[0] : null;
        everShared |= count > 1;
        boolean all = count > 0;
        for (int i = 0; i < count; i++) {
            all &= ports[i].sink.completesTcpChecksums();
        }
        completesTcpChecksums = all;
    }

    private int indexOf(SwitchPort p) {
        for (int i = 0; i < count; i++) {
            if (ports[i] == p) {
                return i;
            }
        }
        return -1;
    }

    /** Ports attached. */
    int count() {
        return count;
    }

    /** The one port if there is exactly one, else null. */
    SwitchPort solo() {
        return solo;
    }

    /** The first port attached (the oldest), or null. */
    SwitchPort first() {
        return count == 0 ? null : ports[0];
    }

    /** The ports, oldest first (a copy). */
    List<SwitchPort> ports() {
        List<SwitchPort> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(ports[i]);
        }
        return out;
    }

    /** The port {@code mac} is on, or null. */
    SwitchPort portOf(long mac) {
        SwitchPort s = solo;
        if (s != null && s.lastMac == mac) {
            return s;
        }
        return macs.lookup(mac);
    }

    /** True if every port's transport completes TCP checksums ({@link FrameSink#completesTcpChecksums()}). */
    boolean completesTcpChecksums() {
        SwitchPort s = solo;
        return s != null ? s.sink.completesTcpChecksums() : completesTcpChecksums;
    }

    /** MACs in the table (for tests of its bound). */
    int macCount() {
        return macs.size();
    }

    // ---------------------------------------------------------------- ingress

    /**
     * Checks and learns the source MAC of a frame from {@code in}.
     *
     * @return {@link #ADMITTED}, {@link #DROPPED} (counted) or {@link #HELD} (a copy is
     *         kept; the caller still releases {@code frame})
     */
    int admit(SwitchPort in, long src, ByteBuf frame, long now) {
        if (src == in.lastMac) {
            if (now - in.lastMacRefresh > REFRESH_NANOS) {
                in.lastMacRefresh = now;
                macs.refresh(src, now);
            }
            return ADMITTED;
        }
        boolean valid = src != MacAddress.ZERO && !MacAddress.isMulticast(src) && !isNetworkMac(src);
        SwitchPort owner = valid ? macs.lookup(src) : null;
        if (in == solo) {
            // Alone on the network: nobody to protect. Learn what may be learned and let the
            // engine judge the rest, as a network of one guest always has.
            if (valid && (owner == in || in.macs < MACS_PER_PORT)) {
                macs.put(src, in, now);
                in.lastMac = src;
                in.lastMacRefresh = now;
            }
            return ADMITTED;
        }
        if (!valid) {
            return drop(in, DropReason.SWITCH_BAD_SOURCE_MAC);
        }
        if (owner != null && owner != in && now - macs.lastSeen(src) < NeighborTable.AGEING_NANOS) {
            if (in.macs == 0 && hold(in, frame, now)) {
                return HELD;
            }
            return drop(in, DropReason.SWITCH_MAC_IN_USE);
        }
        if (owner != in && in.macs >= MACS_PER_PORT && macs.evictStale(in, now - NeighborTable.AGEING_NANOS) == 0) {
            return drop(in, DropReason.SWITCH_MAC_LIMIT);
        }
        macs.put(src, in, now);
        in.lastMac = src;
        in.lastMacRefresh = now;
        return ADMITTED;
    }

    /**
     * Switches an admitted, guarded frame from {@code in} to the other ports; the
     * caller still owns and releases {@code frame}.
     *
     * @return true if the engine should handle it too
     */
    boolean forward(SwitchPort in, long dst, int etherType, ByteBuf frame, long now) {
        if (etherType == TYPE_VLAN || etherType == TYPE_QINQ) {
            drop(in, DropReason.SWITCH_TAGGED);
            return false;
        }
        if (MacAddress.isMulticast(dst)) {
            flood(in, frame, now);
            return true;
        }
        if (isNetworkMac(dst)) {
            return true;
        }
        SwitchPort to = macs.lookup(dst);
        if (to == null) {
            flood(in, frame, now);
            return true;
        }
        if (to == in) {
            // Both ends on one port: not the switch's to carry (802.1D filtering).
            stats.traffic().increment(NetworkStats.Traffic.SWITCH_FILTERED);
            return false;
        }
        if (!in.mayReach(to)) {
            drop(in, DropReason.SWITCH_ISOLATED);
            return false;
        }
        deliverSwitched(to, frame);
        return false;
    }

    private void flood(SwitchPort in, ByteBuf frame, long now) {
        if (count < 2 || in.options.isolated()) {
            return;
        }
        if (!takeFloodToken(in, now)) {
            drop(in, DropReason.SWITCH_FLOOD_LIMIT);
            return;
        }
        for (int i = 0; i < count; i++) {
            SwitchPort p = ports[i];
            if (p == in || !in.mayReach(p)) {
                continue;
            }
            if (!p.sink.isWritable()) {
                p.dropsOut++;
                stats.drops().increment(DropReason.SWITCH_PORT_BUSY);
                continue;
            }
            deliverSwitched(p, frame);
        }
    }

    /** A token bucket per port: {@link #FLOOD_PER_SECOND}, bursts of {@link #FLOOD_BURST}. */
    private static boolean takeFloodToken(SwitchPort p, long now) {
        long perToken = 1_000_000_000L / FLOOD_PER_SECOND;
        long earned = (now - p.floodRefilledAt) / perToken;
        if (earned > 0) {
            p.floodTokens = Math.min(FLOOD_BURST, p.floodTokens + earned);
            p.floodRefilledAt += earned * perToken;
        }
        if (p.floodTokens == 0) {
            return false;
        }
        p.floodTokens--;
        return true;
    }

    private void deliverSwitched(SwitchPort to, ByteBuf frame) {
        stats.traffic().increment(NetworkStats.Traffic.FRAMES_SWITCHED);
        stats.traffic().add(NetworkStats.Traffic.BYTES_SWITCHED, frame.readableBytes());
        deliver(to, copy(frame));
    }

    private ByteBuf copy(ByteBuf frame) {
        int len = frame.readableBytes();
        ByteBuf c = alloc.directBuffer(FrameSink.HEADROOM + len);
        c.setIndex(FrameSink.HEADROOM, FrameSink.HEADROOM);
        c.writeBytes(frame, frame.readerIndex(), len);
        return c;
    }

    /** The network's own MACs (52:55 and an address), which no guest may use. */
    static boolean isNetworkMac(long mac) {
        return (mac & 0xffff_0000_0000L) == NetworkConfig.OWN_MAC_PREFIX;
    }

    /** Counts a frame from {@code in} dropped for {@code reason}. */
    int drop(SwitchPort in, DropReason reason) {
        in.dropsIn++;
        stats.drops().increment(reason);
        return DROPPED;
    }

    // ---------------------------------------------------------------- held frames

    private boolean hold(SwitchPort in, ByteBuf frame, long now) {
        if (in.held == null) {
            in.held = new ByteBuf[HOLD_FRAMES];
        }
        if (in.heldCount == HOLD_FRAMES) {
            return false;
        }
        if (in.heldCount == 0) {
            in.heldSince = now;
            holding++;
        }
        in.held[in.heldCount++] = copy(frame);
        stats.traffic().increment(NetworkStats.Traffic.SWITCH_HELD);
        return true;
    }

    /** True while some port holds frames (the network's housekeeping then runs). */
    boolean isHolding() {
        return holding > 0;
    }

    /**
     * Takes every held frame of every port, oldest first, for a replay (after a port
     * detached); the caller owns them.
     */
    List<Held> takeHeld() {
        List<Held> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SwitchPort p = ports[i];
            for (int k = 0; k < p.heldCount; k++) {
                out.add(new Held(p, p.held[k]));
                p.held[k] = null;
            }
            if (p.heldCount > 0) {
                p.heldCount = 0;
                holding--;
            }
        }
        return out;
    }

    /** A held frame and the port it came from. */
    record Held(SwitchPort port, ByteBuf frame) {
    }

    /** Drops frames held longer than {@link #HOLD_NANOS}: their MAC's owner is still there. */
    void expireHeld(long now) {
        for (int i = 0; i < count; i++) {
            SwitchPort p = ports[i];
            if (p.heldCount > 0 && now - p.heldSince >= HOLD_NANOS) {
                releaseHeld(p, true);
            }
        }
    }

    private void releaseHeld(SwitchPort p, boolean counted) {
        if (p.heldCount == 0) {
            return;
        }
        for (int k = 0; k < p.heldCount; k++) {
            p.held[k].release();
            p.held[k] = null;
            if (counted) {
                drop(p, DropReason.SWITCH_MAC_IN_USE);
            }
        }
        p.heldCount = 0;
        holding--;
    }

    // ---------------------------------------------------------------- egress

    /**
     * Sends a frame of the engine's (its Ethernet header written) to its destination's
     * port, or to every port if the destination is a group or not known. Takes ownership.
     */
    void fromEngine(ByteBuf frame) {
        SwitchPort s = solo;
        if (s != null && !everShared) {
            deliver(s, frame);
            return;
        }
        long dst = MacAddress.read(frame, frame.readerIndex());
        if (!MacAddress.isMulticast(dst)) {
            SwitchPort to = macs.lookup(dst);
            if (to != null) {
                deliver(to, frame);
            } else {
                // A guest that left: not flooded to the others (it would show them its traffic).
                stats.drops().increment(DropReason.SWITCH_UNKNOWN_DESTINATION);
                frame.release();
            }
            return;
        }
        int last = count - 1;
        for (int i = 0; i < last; i++) {
            deliver(ports[i], copy(frame));
        }
        deliver(ports[last], frame);
    }

    /** Hands {@code frame} to {@code p}'s transport (which owns it then) and flushes it this turn. */
    private void deliver(SwitchPort p, ByteBuf frame) {
        p.framesOut++;
        p.bytesOut += frame.readableBytes();
        p.sink.send(frame);
        if (!p.dirty) {
            p.dirty = true;
            if (dirtyCount == dirty.length) {
                dirty = Arrays.copyOf(dirty, dirtyCount * 2);    // ports that detached this turn count too
            }
            dirty[dirtyCount++] = p;
            if (!flushScheduled) {
                flushScheduled = true;
                loop.execute(flushTask);
            }
        }
    }

    /** Flushes every port that got frames this turn (runs after the loop's I/O). */
    void flush() {
        flushScheduled = false;
        for (int i = 0; i < dirtyCount; i++) {
            SwitchPort p = dirty[i];
            dirty[i] = null;
            p.dirty = false;
            if (p.attached) {
                p.sink.flush();
            }
        }
        dirtyCount = 0;
    }
}
