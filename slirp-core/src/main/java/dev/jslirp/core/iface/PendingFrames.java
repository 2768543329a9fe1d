package dev.jslirp.core.iface;

import io.netty.buffer.ByteBuf;
import dev.jslirp.core.stats.DropReason;

/**
 * Datagrams for guest addresses whose MAC is not known yet, held (few, briefly) until
 * an ARP reply or neighbour advertisement names it, as a host's ARP layer does
 * (RFC 1122 section 2.3.2.2 asks for at least one per address; RFC 4861 section 7.2.2
 * likewise). Bounded by count, in all and per address ({@link #PER_ADDRESS}: an address
 * nobody answers for, such as a guest that left, cannot take every slot from the
 * others); a request (ARP or neighbour solicitation) goes out when
 * the first datagram for an address is queued and again at each housekeeping tick.
 * Addresses are {@link dev.jslirp.core.wire.IpAddress} halves.
 */
final class PendingFrames {
    /** Frames one address may have waiting. */
    static final int PER_ADDRESS = 8;
    private final long[] his;
    private final long[] ips;
    private final ByteBuf[] frames;
    private final long[] queuedAt;
    private int size;

    PendingFrames(int capacity) {
        his = new long[capacity];
        ips = new long[capacity];
        frames = new ByteBuf[capacity];
        queuedAt = new long[capacity];
    }

    boolean isEmpty() {
        return size == 0;
    }

    /**
     * Queues {@code frame} for {@code ip}.
     *
     * @return false if full, in all or for this address (the caller drops the frame)
     */
    boolean add(long hi, long ip, ByteBuf frame, long now, GuestSender network) {
        if (size == frames.length) {
            return false;
        }
        int waiting = 0;
        for (int j = 0; j < size; j++) {
            if (ips[j] == ip && his[j] == hi) {
                waiting++;
            }
        }
        if (waiting >= PER_ADDRESS) {
            return false;
        }
        boolean first = waiting == 0;
        his[size] = hi;
        ips[size] = ip;
        frames[size] = frame;
        queuedAt[size] = now;
        size++;
        if (first) {
            network.requestMac(hi, ip);
        }
        return true;
    }

    /** Sends, in order, every frame waiting for {@code ip}, now known to be at {@code mac}. */
    void release(long hi, long ip, long mac, GuestSender network) {
        removeIf((i, f) -> {
            if (ips[i] != ip || his[i] != hi) {
                return false;
            }
            network.sendResolved(f, mac);
            return true;
        });
    }

    /** Drops frames older than {@code timeout}; asks again for the addresses still waited for. */
    void expire(long now, long timeout, GuestSender network) {
        removeIf((i, f) -> {
            if (now - queuedAt[i] < timeout) {
                return false;
            }
            f.release();
            network.stats().drops().increment(DropReason.GUEST_MAC_UNRESOLVED);
            return true;
        });
        for (int i = 0; i < size; i++) {
            if (firstFor(his[i], ips[i], i)) {
                network.requestMac(his[i], ips[i]);
            }
        }
    }

    /** What to do with a queued frame: true if it was taken (sent or released) and leaves the queue. */
    private interface Taker {
        boolean take(int index, ByteBuf frame);
    }

    /** Offers each queued frame in order to {@code taker} and closes the gaps of those it took. */
    private void removeIf(Taker taker) {
        int w = 0;
        for (int i = 0; i < size; i++) {
            if (!taker.take(i, frames[i])) {
                his[w] = his[i];
                ips[w] = ips[i];
                frames[w] = frames[i];
                queuedAt[w] = queuedAt[i];
                w++;
            }
        }
        for (int i = w; i < size; i++) {
            frames[i] = null;
        }
        size = w;
    }

    /** True if no frame before {@code index} waits for {@code (hi, ip)}. */
    private boolean firstFor(long hi, long ip, int index) {
        for (int j = 0; j < index; j++) {
            if (ips[j] == ip && his[j] == hi) {
                return false;
            }
        }
        return true;
    }

    /** Releases everything, uncounted. */
    void clear() {
        for (int i = 0; i < size; i++) {
            frames[i].release();
            frames[i] = null;
        }
        size = 0;
    }
}
