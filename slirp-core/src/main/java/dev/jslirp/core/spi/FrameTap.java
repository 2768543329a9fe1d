package dev.jslirp.core.spi;

import io.netty.buffer.ByteBuf;

/**
 * Sees every Ethernet frame that crosses the guest's link, both ways, for packet capture
 * and debugging. A network has at most one tap; without one the frame path pays a null
 * check and nothing else.
 *
 * <p>Called on the network's event loop. The frame is lent for the duration of the call
 * only: a tap must neither release it nor change its indices or bytes, and copies what it
 * wants to keep. A tap that throws is removed (a bug in the tap must not cost the guest
 * its network).
 */
public interface FrameTap {
    /**
     * A frame from the guest, {@code [readerIndex, writerIndex)}, as the transport
     * delivered it, before any check (malformed frames are seen too).
     *
     * @param nanoTime when it arrived, on the network's clock
     */
    void fromGuest(ByteBuf frame, long nanoTime);

    /**
     * A frame to the guest, {@code [readerIndex, writerIndex)}, as it is handed to the
     * transport. It may be a composite buffer (headers and an uncopied payload).
     *
     * @param nanoTime when it was sent, on the network's clock
     */
    void toGuest(ByteBuf frame, long nanoTime);
}
