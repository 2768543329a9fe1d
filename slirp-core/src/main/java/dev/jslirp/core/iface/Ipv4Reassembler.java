package dev.jslirp.core.iface;

import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv4Packet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Reassembles IPv4 fragments from the guest (RFC 791 section 3.2, RFC 815) into whole
 * datagrams, within bounds a guest cannot push past:
 * <ul>
 *   <li>at most {@code maxDatagrams} datagrams under reassembly at once and
 *       {@code maxBytes} of buffers for all of them; a fragment beyond either bound is
 *       refused (its datagram dropped) and counted as
 *       {@link DropReason#IPV4_FRAGMENT_LIMIT};</li>
 *   <li>at most {@link #MAX_FRAGMENTS} fragments per datagram (enough for 64 KiB at
 *       the 576-byte minimum MTU);</li>
 *   <li>a datagram whose fragments did not all arrive within the timeout is dropped
 *       ({@link DropReason#IPV4_FRAGMENT_TIMEOUT});</li>
 *   <li>overlapping fragments make the whole datagram invalid (as RFC 5722 requires for
 *       IPv6; overlaps have no legitimate use and are an evasion technique); an exact
 *       duplicate is ignored.</li>
 * </ul>
 *
 * <p>Each fragment's payload is copied into one buffer per datagram laid out as a
 * frame (headroom, Ethernet, a 20-byte IPv4 header, payload), so the completed
 * datagram travels the normal receive path. Fragments are rare on a virtual link
 * (large UDP datagrams), so this path copies and may allocate.
 */
final class Ipv4Reassembler {
    /** Most fragments one datagram may arrive in. */
    static final int MAX_FRAGMENTS = 128;
    private static final int MAX_PAYLOAD = 65535 - Ipv4Packet.MIN_HEADER_LENGTH;
    private static final int DATA_OFFSET = FrameSink.HEADROOM + EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH;

    private final ByteBufAllocator alloc;
    private final int maxBytes;
    private final long timeoutNanos;
    private final Counters<DropReason> drops;
    private final Datagram[] datagrams;
    private int bytesHeld;
    private int count;

    Ipv4Reassembler(ByteBufAllocator alloc, int maxBytes, int maxDatagrams, long timeoutNanos,
                    Counters<DropReason> drops) {
        this.alloc = alloc;
        this.maxBytes = maxBytes;
        this.timeoutNanos = timeoutNanos;
        this.drops = drops;
        this.datagrams = new Datagram[maxDatagrams];
    }

    /**
     * Takes one fragment (its bytes are copied; the caller keeps ownership of the
     * frame).
     *
     * @return the whole datagram as a new frame owned by the caller, or null if it is
     *         not complete yet or the fragment was dropped (and counted)
     */
    ByteBuf offer(EthernetFrame eth, Ipv4Packet ip, long now) {
        int src = ip.source();
        int dst = ip.destination();
        int proto = ip.protocol();
        int id = ip.identification();
        int fragOff = ip.fragmentOffset();
        int len = ip.payloadLength();
        boolean more = ip.moreFragments();
        if ((more && (len % 8 != 0 || len == 0)) || fragOff + len > MAX_PAYLOAD) {
            drop(find(src, dst, proto, id), DropReason.IPV4_FRAGMENT_INVALID);
            return null;
        }
        int slot = find(src, dst, proto, id);
        Datagram d;
        if (slot < 0) {
            slot = freeSlot();
            if (slot < 0) {
                drops.increment(DropReason.IPV4_FRAGMENT_LIMIT);
                return null;
            }
            int need = DATA_OFFSET + fragOff + len;
            if (bytesHeld + need > maxBytes) {
                drops.increment(DropReason.IPV4_FRAGMENT_LIMIT);
                return null;
            }
            d = new Datagram(src, dst, proto, id, now, alloc.directBuffer(need, DATA_OFFSET + MAX_PAYLOAD));
            bytesHeld += d.buf.capacity();
            datagrams[slot] = d;
            count++;
            EthernetFrame.write(d.buf, FrameSink.HEADROOM, eth.destination(), eth.source(), EthernetFrame.TYPE_IPV4);
        } else {
            d = datagrams[slot];
        }
        switch (d.add(fragOff, len, more)) {
            case DUPLICATE:
                return null;
            case INVALID:
                drop(slot, DropReason.IPV4_FRAGMENT_INVALID);
                return null;
            default:
                break;
        }
        int need = DATA_OFFSET + fragOff + len;
        if (need > d.buf.capacity()) {
            int grow = need - d.buf.capacity();
            if (bytesHeld + grow > maxBytes) {
                drop(slot, DropReason.IPV4_FRAGMENT_LIMIT);
                return null;
            }
            d.buf.capacity(need);
            bytesHeld += grow;
        }
        d.buf.setBytes(DATA_OFFSET + fragOff, ip.buffer(), ip.payloadOffset(), len);
        if (fragOff == 0) {
            d.tos = ip.tos();
            d.ttl = ip.ttl();
        }
        if (!d.complete()) {
            return null;
        }
        datagrams[slot] = null;
        count--;
        bytesHeld -= d.buf.capacity();
        ByteBuf out = d.buf;
        int total = Ipv4Packet.MIN_HEADER_LENGTH + d.totalPayload;
        Ipv4Packet.write(out, FrameSink.HEADROOM + EthernetFrame.HEADER_LENGTH, d.tos, total, id, 0, d.ttl, proto, src, dst);
        out.setIndex(FrameSink.HEADROOM, DATA_OFFSET + d.totalPayload);
        return out;
    }

    /** Drops every datagram older than the timeout; returns how many. */
    int expire(long now) {
        int n = 0;
        for (int i = 0; i < datagrams.length; i++) {
            Datagram d = datagrams[i];
            if (d != null && now - d.firstSeen >= timeoutNanos) {
                drop(i, DropReason.IPV4_FRAGMENT_TIMEOUT);
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
    }

    private void drop(int slot, DropReason reason) {
        drops.increment(reason);
        if (slot >= 0 && datagrams[slot] != null) {
            bytesHeld -= datagrams[slot].buf.capacity();
            datagrams[slot].buf.release();
            datagrams[slot] = null;
            count--;
        }
    }

    private int find(int src, int dst, int proto, int id) {
        for (int i = 0; i < datagrams.length; i++) {
            Datagram d = datagrams[i];
            if (d != null && d.id == id && d.src == src && d.dst == dst && d.proto == proto) {
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
        final int src;
        final int dst;
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

        Datagram(int src, int dst, int proto, int id, long firstSeen, ByteBuf buf) {
            this.src = src;
            this.dst = dst;
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
