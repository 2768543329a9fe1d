package dev.jslirp.core.iface;

import dev.jslirp.core.buffer.MemoryBudget;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Reassembles fragments from the guest into whole datagrams, IPv4 (RFC 791 section 3.2,
 * RFC 815) and IPv6 (RFC 8200 section 4.5), within bounds a guest cannot push past:
 * <ul>
 *   <li>at most {@code maxDatagrams} datagrams under reassembly at once and
 *       {@code maxBytes} of buffers for all of them. A new datagram that finds them full
 *       evicts the oldest incomplete ones (counted as {@code *_FRAGMENT_EVICTED}) rather
 *       than being refused: after a flood of fragments that never complete, the table is
 *       full of the flood's oldest, and refusing newcomers would lock every legitimate
 *       fragmented datagram out until the timeout drained it. A real datagram's
 *       fragments arrive back to back, so it completes long before it is the oldest.
 *       A datagram too large for {@code maxBytes} on its own is refused
 *       ({@code *_FRAGMENT_LIMIT});</li>
 *   <li>at most {@link #MAX_FRAGMENTS} fragments per datagram (enough for 64 KiB at
 *       the 576-byte minimum MTU);</li>
 *   <li>every buffer is charged to the network's memory budget ({@code --max-memory});
 *       a fragment that finds no room there is dropped ({@code *_FRAGMENT_MEMORY}), and
 *       nothing is evicted for it: the budget is shared with the flows, and a flood of
 *       fragments must not push out their data;</li>
 *   <li>a datagram whose fragments did not all arrive within the timeout is dropped
 *       ({@code *_FRAGMENT_TIMEOUT});</li>
 *   <li>overlapping fragments make the whole datagram invalid (RFC 5722 for IPv6, and
 *       the same for IPv4: overlaps have no legitimate use and are an evasion
 *       technique); an exact duplicate is ignored.</li>
 * </ul>
 *
 * <p>Each fragment's payload is copied into one buffer per datagram laid out as a frame
 * (headroom, Ethernet, a bare IPv4 or IPv6 header, payload), so the completed datagram
 * travels the normal receive path; an IPv6 datagram's extension headers before the
 * fragment header are not kept (nothing after reassembly needs them). Fragments are
 * rare on a virtual link (large UDP datagrams), so this path copies and may allocate.
 */
final class Reassembler {
    /** Most fragments one datagram may arrive in. */
    static final int MAX_FRAGMENTS = 128;
    /** The largest payload after a bare header: IPv4's 65535 - 20, IPv6's payload length. */
    private static final int MAX_PAYLOAD_V4 = 65535 - Ipv4Packet.MIN_HEADER_LENGTH;
    private static final int MAX_PAYLOAD_V6 = 65535;

    private final ByteBufAllocator alloc;
    private final int maxBytes;
    private final long timeoutNanos;
    private final Counters<DropReason> drops;
    private final Datagram[] datagrams;
    private final MemoryBudget.Account memory;
    private int bytesHeld;
    private int count;

    Reassembler(ByteBufAllocator alloc, int maxBytes, int maxDatagrams, long timeoutNanos, Counters<DropReason> drops,
                MemoryBudget.Account memory) {
        this.memory = memory;
        this.alloc = alloc;
        this.maxBytes = maxBytes;
        this.timeoutNanos = timeoutNanos;
        this.drops = drops;
        this.datagrams = new Datagram[maxDatagrams];
    }

    /**
     * Takes one IPv4 fragment (its bytes are copied; the caller keeps the frame).
     *
     * @return the whole datagram as a new frame owned by the caller, or null if it is
     *         not complete yet or the fragment was dropped (and counted)
     */
    ByteBuf offerIpv4(EthernetFrame eth, Ipv4Packet ip, long now) {
        return offer(false, 0, IpAddress.ipv4Lo(ip.source()), 0, IpAddress.ipv4Lo(ip.destination()), ip.protocol(),
                ip.identification(), ip.fragmentOffset(), ip.moreFragments(), ip.buffer(), ip.payloadOffset(),
                ip.payloadLength(), ip.tos(), ip.ttl(), eth, now);
    }

    /**
     * Takes one IPv6 fragment, a packet with a fragment header (its bytes are copied;
     * the caller keeps the frame).
     *
     * @return as {@link #offerIpv4}
     */
    ByteBuf offerIpv6(EthernetFrame eth, Ipv6Packet ip, long now) {
        int fh = ip.fragmentHeaderOffset();
        int dataOff = fh + Ipv6Packet.FRAGMENT_HEADER_LENGTH;
        int len = ip.offset() + ip.totalLength() - dataOff;
        return offer(true, ip.sourceHi(), ip.sourceLo(), ip.destinationHi(), ip.destinationLo(),
                ip.buffer().getUnsignedByte(fh), ip.fragmentId(), ip.fragmentOffset(), ip.moreFragments(), ip.buffer(),
                dataOff, len, ip.trafficClass(), ip.hopLimit(), eth, now);
    }

    private ByteBuf offer(boolean v6, long srcHi, long srcLo, long dstHi, long dstLo, int proto, int id, int fragOff,
                          boolean more, ByteBuf from, int fromOff, int len, int tos, int ttl, EthernetFrame eth,
                          long now) {
        int dataOffset = dataOffset(v6);
        int slot = find(v6, srcHi, srcLo, dstHi, dstLo, proto, id);
        if ((more && (len % 8 != 0 || len == 0)) || fragOff + len > (v6 ? MAX_PAYLOAD_V6 : MAX_PAYLOAD_V4)) {
            drop(slot, v6 ? DropReason.IPV6_FRAGMENT_INVALID : DropReason.IPV4_FRAGMENT_INVALID);
            return null;
        }
        Datagram d;
        if (slot < 0) {
            int need = dataOffset + fragOff + len;
            if (need > maxBytes || datagrams.length == 0) {
                drops.increment(v6 ? DropReason.IPV6_FRAGMENT_LIMIT : DropReason.IPV4_FRAGMENT_LIMIT);
                return null;
            }
            slot = makeRoom(need);
            if (!memory.tryReserve(need)) {
                drops.increment(v6 ? DropReason.IPV6_FRAGMENT_MEMORY : DropReason.IPV4_FRAGMENT_MEMORY);
                return null;
            }
            d = new Datagram(v6, srcHi, srcLo, dstHi, dstLo, proto, id, now,
                    alloc.directBuffer(need, dataOffset + (v6 ? MAX_PAYLOAD_V6 : MAX_PAYLOAD_V4)));
            bytesHeld += d.buf.capacity();
            datagrams[slot] = d;
            count++;
            EthernetFrame.write(d.buf, FrameSink.HEADROOM, eth.destination(), eth.source(),
                    v6 ? EthernetFrame.TYPE_IPV6 : EthernetFrame.TYPE_IPV4);
        } else {
            d = datagrams[slot];
        }
        switch (d.add(fragOff, len, more)) {
            case DUPLICATE:
                return null;
            case INVALID:
                drop(slot, v6 ? DropReason.IPV6_FRAGMENT_INVALID : DropReason.IPV4_FRAGMENT_INVALID);
                return null;
            default:
                break;
        }
        int need = dataOffset + fragOff + len;
        if (need > d.buf.capacity()) {
            int grow = need - d.buf.capacity();
            if (bytesHeld + grow > maxBytes) {
                drop(slot, v6 ? DropReason.IPV6_FRAGMENT_LIMIT : DropReason.IPV4_FRAGMENT_LIMIT);
                return null;
            }
            if (!memory.tryReserve(grow)) {
                drop(slot, v6 ? DropReason.IPV6_FRAGMENT_MEMORY : DropReason.IPV4_FRAGMENT_MEMORY);
                return null;
            }
            d.buf.capacity(need);
            bytesHeld += grow;
        }
        d.buf.setBytes(dataOffset + fragOff, from, fromOff, len);
        if (fragOff == 0) {
            d.tos = tos;
            d.ttl = ttl;
        }
        if (!d.complete()) {
            return null;
        }
        datagrams[slot] = null;
        count--;
        bytesHeld -= d.buf.capacity();
        memory.release(d.buf.capacity());
        ByteBuf out = d.buf;
        int ipOff = FrameSink.HEADROOM + EthernetFrame.HEADER_LENGTH;
        if (v6) {
            Ipv6Packet.write(out, ipOff, d.tos, d.totalPayload, proto, d.ttl, srcHi, srcLo, dstHi, dstLo);
        } else {
            Ipv4Packet.write(out, ipOff, d.tos, Ipv4Packet.MIN_HEADER_LENGTH + d.totalPayload, id, 0, d.ttl, proto,
                    (int) srcLo, (int) dstLo);
        }
        out.setIndex(FrameSink.HEADROOM, dataOffset + d.totalPayload);
        return out;
    }

    private static int dataOffset(boolean v6) {
        return FrameSink.HEADROOM + EthernetFrame.HEADER_LENGTH
                + (v6 ? Ipv6Packet.HEADER_LENGTH : Ipv4Packet.MIN_HEADER_LENGTH);
    }

    /**
     * A free slot with {@code need} bytes of room under the memory bound, evicting the
     * oldest datagrams as needed (see the class comment).
     */
    private int makeRoom(int need) {
        int slot = freeSlot();
        while (slot < 0 || bytesHeld + need > maxBytes) {
            int oldest = oldest();
            Datagram d = datagrams[oldest];
            drop(oldest, d.v6 ? DropReason.IPV6_FRAGMENT_EVICTED : DropReason.IPV4_FRAGMENT_EVICTED);
            if (slot < 0) {
                slot = oldest;
            }
        }
        return slot;
    }

    private int oldest() {
        int o = -1;
        for (int i = 0; i < datagrams.length; i++) {
            Datagram d = datagrams[i];
            if (d != null && (o < 0 || d.firstSeen - datagrams[o].firstSeen < 0)) {
                o = i;
            }
        }
        return o;
    }

    /** Drops every datagram older than the timeout; returns how many. */
    int expire(long now) {
        int n = 0;
        for (int i = 0; i < datagrams.length; i++) {
            Datagram d = datagrams[i];
            if (d != null && now - d.firstSeen >= timeoutNanos) {
                drop(i, d.v6 ? DropReason.IPV6_FRAGMENT_TIMEOUT : DropReason.IPV4_FRAGMENT_TIMEOUT);
                n++;
            }
        }
        return n;
    }

    /** True if nothing is held. */
    boolean isEmpty() {
        return count == 0;
    }

    /** Bytes of buffers held. */
    int bytesHeld() {
        return bytesHeld;
    }

    /** Releases everything held, uncounted (the network is closing). */
    void clear() {
        for (int i = 0; i < datagrams.length; i++) {
            if (datagrams[i] != null) {
                datagrams[i].buf.release();
                datagrams[i] = null;
            }
        }
        count = 0;
        bytesHeld = 0;
        memory.releaseAll();
    }

    private void drop(int slot, DropReason reason) {
        drops.increment(reason);
        if (slot >= 0 && datagrams[slot] != null) {
            bytesHeld -= datagrams[slot].buf.capacity();
            memory.release(datagrams[slot].buf.capacity());
            datagrams[slot].buf.release();
            datagrams[slot] = null;
            count--;
        }
    }

    private int find(boolean v6, long srcHi, long srcLo, long dstHi, long dstLo, int proto, int id) {
        for (int i = 0; i < datagrams.length; i++) {
            Datagram d = datagrams[i];
            if (d != null && d.id == id && d.srcLo == srcLo && d.dstLo == dstLo && d.srcHi == srcHi
                    && d.dstHi == dstHi && d.proto == proto && d.v6 == v6) {
                return i;
            }
        }
        return -1;
    }

    private int freeSlot() {
        for (int i = 0; i < datagrams.length; i++) {
            if (datagrams[i] == null) {
                return i;
            }
        }
        return -1;
    }

    private enum AddResult { ADDED, DUPLICATE, INVALID }

    /** One datagram under reassembly: its key, buffer and the fragments seen. */
    private static final class Datagram {
        final boolean v6;
        final long srcHi;
        final long srcLo;
        final long dstHi;
        final long dstLo;
        final int proto;
        final int id;
        final long firstSeen;
        final ByteBuf buf;
        final int[] starts = new int[MAX_FRAGMENTS];
        final int[] ends = new int[MAX_FRAGMENTS];
        int fragments;
        int received;
        int totalPayload = -1;
        int tos;
        int ttl = Ipv4Packet.DEFAULT_TTL;

        Datagram(boolean v6, long srcHi, long srcLo, long dstHi, long dstLo, int proto, int id, long firstSeen,
                 ByteBuf buf) {
            this.v6 = v6;
            this.srcHi = srcHi;
            this.srcLo = srcLo;
            this.dstHi = dstHi;
            this.dstLo = dstLo;
            this.proto = proto;
            this.id = id;
            this.firstSeen = firstSeen;
            this.buf = buf;
        }

        AddResult add(int start, int len, boolean more) {
            int end = start + len;
            for (int i = 0; i < fragments; i++) {
                if (starts[i] == start && ends[i] == end) {
                    return AddResult.DUPLICATE;
                }
                if (start < ends[i] && starts[i] < end) {
                    return AddResult.INVALID;
                }
            }
            if (!more) {
                if (totalPayload >= 0 && totalPayload != end) {
                    return AddResult.INVALID;
                }
                totalPayload = end;
            }
            if ((totalPayload >= 0 && end > totalPayload) || fragments == MAX_FRAGMENTS) {
                return AddResult.INVALID;
            }
            for (int i = 0; i < fragments; i++) {
                if (totalPayload >= 0 && ends[i] > totalPayload) {
                    return AddResult.INVALID;
                }
            }
            starts[fragments] = start;
            ends[fragments] = end;
            fragments++;
            received += len;
            return AddResult.ADDED;
        }

        boolean complete() {
            return totalPayload >= 0 && received == totalPayload;
        }
    }
}
