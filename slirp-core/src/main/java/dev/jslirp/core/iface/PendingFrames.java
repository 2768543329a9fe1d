package dev.jslirp.core.iface;

import io.netty.buffer.ByteBuf;
import dev.jslirp.core.stats.DropReason;

/**
 * Datagrams for guest addresses whose MAC is not known yet, held (few, briefly) until
 * an ARP reply names it, as a host's ARP layer does (RFC 1122 section 2.3.2.2 asks
 * for at least one per address). Bounded by count; an ARP request goes out when the
 * first datagram for an address is queued and again at each housekeeping tick.
 */
final class PendingFrames {
    private final int[] ips;
    private final ByteBuf[] frames;
    private final long[] queuedAt;
    private int size;

    PendingFrames(int capacity) {
        ips = new int[capacity];
        frames = new ByteBuf[capacity];
        queuedAt = new long[capacity];
    }

    boolean isEmpty() {
        return size == 0;
    }

    /**
     * Queues {@code frame} for {@code ip}.
     *
     * @return false if full (the caller drops the frame)
     */
    boolean add(int ip, ByteBuf frame, long now, GuestSender network) {
        if (size == frames.length) {
            return false;
        }
        boolean first = firstFor(ip, size);
        ips[size] = ip;
        frames[size] = frame;
        queuedAt[size] = now;
        size++;
        if (first) {
            network.requestMac(ip);
        }
        return true;
    }

    /** Sends, in order, every frame waiting for {@code ip}, now known to be at {@code mac}. */
    void release(int ip, long mac, GuestSender network) {
        removeIf((i, f) -> {
            if (ips[i] != ip) {
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
            if (firstFor(ips[i], i)) {
                network.requestMac(ips[i]);
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

    /** True if no frame before {@code index} waits for {@code ip}. */
    private boolean firstFor(int ip, int index) {
        for (int j = 0; j < index; j++) {
            if (ips[j] == ip) {
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
