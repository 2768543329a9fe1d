package dev.jslirp.core.spi;

import io.netty.buffer.ByteBuf;

/**
 * Where frames for the guest go: a transport (QEMU stream or dgram socket, a tap
 * device) or, in tests, a queue.
 *
 * <p>A network has one sink per guest: each is a port of its switch
 * ({@link GuestPort}), with its own queue bound and writability.
 *
 * <p>Called on the network's event loop only.
 */
public interface FrameSink {
    /**
     * Bytes reserved in front of every frame the network originates
     * ({@code frame.readerIndex() >= HEADROOM}), so a transport can prepend its own
     * header (the stream protocol's 4-byte length) without copying.
     */
    int HEADROOM = 16;

    /**
     * Queues one Ethernet frame, {@code [readerIndex, writerIndex)}, for the guest.
     * Takes ownership: the sink releases {@code frame}, also when it drops it.
     * Nothing need reach the wire before {@link #flush()}.
     */
    void send(ByteBuf frame);

    /** Pushes queued frames to the wire. The network calls it once per event-loop turn. */
    void flush();

    /**
     * False while the transport's buffers are full (QEMU stopped reading because the
     * guest's receive queue is full). Producers that can wait (TCP flows reading
     * host sockets) pause until {@link GuestService#guestWritabilityChanged} says true.
     */
    default boolean isWritable() {
        return true;
    }

    /**
     * True if TCP segments for the guest may carry only their pseudo-header sum in the
     * checksum field ({@code TcpPacket.writePartialChecksum}): the transport tells the
     * guest's stack to take or complete them (a tap with virtio-net headers). False by
     * default: every segment carries its full checksum. Fixed for the sink's life.
     */
    default boolean completesTcpChecksums() {
        return false;
    }

    /**
     * The most TCP payload one segment for the guest may carry beyond what the MSS allows,
     * or 0: the transport takes TCP segments over the MTU (each with its full IP and TCP
     * headers and a checksum as {@link #completesTcpChecksums()} says) and has the
     * guest's side cut them into MSS-sized segments (a tap with segmentation offload:
     * virtio-net GSO). 0 by default: every segment stays within the guest's MSS. Fixed
     * for the sink's life.
     */
    default int maxTcpSegment() {
        return 0;
    }

    /** Bytes queued towards the guest and not yet written, for {@code info ports}; -1 if unknown. */
    default long queuedBytes() {
        return -1;
    }

    /** Frames this sink dropped because its queue was full or its peer gone, for {@code info ports}. */
    default long droppedFrames() {
        return 0;
    }
}
