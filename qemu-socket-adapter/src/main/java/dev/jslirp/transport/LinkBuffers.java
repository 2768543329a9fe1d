package dev.jslirp.transport;

import dev.jslirp.core.config.ConfigException;

/**
 * The bounds of the queue of frames waiting to be written to QEMU.
 *
 * <p>Above {@code highWaterMark} queued bytes the link reports itself unwritable and
 * producers that can wait (TCP flows reading host sockets) pause; below
 * {@code lowWaterMark} they resume. Producers that cannot wait (UDP, ICMP, ARP) keep
 * sending; frames beyond {@code maxQueuedBytes} are dropped and counted
 * ({@link TransportCounter#QUEUE_FULL}), as a NIC drops when its ring is full, so a
 * guest that stops reading cannot grow jslirp's memory.
 *
 * @param lowWaterMark   writable again at or below this many queued bytes
 * @param highWaterMark  unwritable above this many queued bytes
 * @param maxQueuedBytes frames that would queue more than this are dropped
 */
public record LinkBuffers(int lowWaterMark, int highWaterMark, int maxQueuedBytes) {
    /**
     * 256 KiB / 1 MiB marks and a 4 MiB bound: a few hundred full-size frames in
     * flight, a small multiple of the guest's RX ring (virtio-net's 256 entries).
     */
    public static final LinkBuffers DEFAULT = new LinkBuffers(256 << 10, 1 << 20, 4 << 20);

    /** Checks the marks are ordered. */
    public LinkBuffers {
        if (lowWaterMark < 0 || highWaterMark <= lowWaterMark || maxQueuedBytes < highWaterMark) {
            throw new ConfigException("link buffers", "expected 0 <= low < high <= max, got " + lowWaterMark + "/"
                    + highWaterMark + "/" + maxQueuedBytes);
        }
    }
}
