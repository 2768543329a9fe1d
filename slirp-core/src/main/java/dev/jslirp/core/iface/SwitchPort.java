package dev.jslirp.core.iface;

import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.GuestPort;
import io.netty.buffer.ByteBuf;

/**
 * One port of a network's {@link EthernetSwitch}: a guest's transport ({@link FrameSink})
 * with what the switch keeps about it. Its queue bound and writability are its sink's;
 * its counters are its own, for {@code info ports}. Everything but the immutable fields
 * is confined to the network's event loop.
 */
final class SwitchPort implements GuestPort {
    final int id;
    final PortOptions options;
    final FrameSink sink;
    final long attachedAt;
    boolean attached = true;

    /** MACs of this port in the {@link MacTable}. */
    int macs;
    /** Addresses bound to this port in the {@link NeighborTable}. */
    int addresses;
    /** The source MAC of the last frame admitted: the common case needs no table lookup. */
    long lastMac;
    /** When {@link #lastMac}'s table entry was last refreshed. */
    long lastMacRefresh;

    long framesIn;
    long bytesIn;
    long framesOut;
    long bytesOut;
    /** Frames from this guest the switch dropped (spoofed, over a bound, isolated...). */
    long dropsIn;
    /** Frames for this guest the switch dropped (flooded while it was not writable). */
    long dropsOut;

    /** Flood tokens left (broadcast, multicast, unknown unicast to the other ports). */
    long floodTokens;
    /** The network time the tokens were last topped up at. */
    long floodRefilledAt;

    /** Frames held while their source MAC is another port's that may be closing; null until needed. */
    ByteBuf[] held;
    int heldCount;
    long heldSince;

    /** True while this port has frames to flush in this event-loop turn. */
    boolean dirty;

    SwitchPort(int id, PortOptions options, FrameSink sink, long now, long floodBurst) {
        this.id = id;
        this.options = options;
        this.sink = sink;
        this.attachedAt = now;
        this.floodTokens = floodBurst;
        this.floodRefilledAt = now;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public String name() {
        return options.name();
    }

    @Override
    public boolean isWritable() {
        return attached && sink.isWritable();
    }

    @Override
    public int maxTcpSegment() {
        return sink.maxTcpSegment();
    }

    @Override
    public boolean isAttached() {
        return attached;
    }

    @Override
    public boolean isRestricted() {
        return options.restricted();
    }

    /** True if this port may exchange frames with {@code other} (neither is isolated). */
    boolean mayReach(SwitchPort other) {
        return !options.isolated() && !other.options.isolated();
    }

    @Override
    public String toString() {
        return "port " + id + " (" + options.name() + ")";
    }
}
