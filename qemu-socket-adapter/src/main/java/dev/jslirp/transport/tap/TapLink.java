package dev.jslirp.transport.tap;

import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TransportCounter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tap's file descriptor on the network's epoll event loop: Netty 4.2's
 * {@link EpollIoHandle}, registered directly with the loop's {@code EpollIoHandler}
 * like any channel, but without a channel, pipeline or thread of its own.
 *
 * <h2>Theory of operation</h2>
 * <p>The descriptor is non-blocking and registered level-triggered for EPOLLIN, plus
 * EPOLLOUT while {@link TapFrameSink} has frames waiting. On EPOLLIN the link reads
 * frames, one per read(2), and hands each to {@link GuestNetwork#receiveFromGuest}
 * right there on the loop, until read(2) says EAGAIN or {@link #MAX_FRAMES_PER_EVENT}
 * frames were read; level triggering brings it back for the rest after the loop's
 * other channels had their turn. On EPOLLOUT the sink writes its queue out.
 *
 * <h2>Buffers</h2>
 * <p>Frames are read into one pooled direct buffer, the batch, one after another:
 * each read(2) gets room for a whole frame (the MTU plus an Ethernet and a VLAN
 * header) and one byte more, to tell a frame the kernel cut short, at the batch's
 * writer index, and the frame read becomes a retained slice of
 * the batch that the network releases. When the room left is less than a frame, the
 * link lets go of its reference to the batch (slices still held keep it alive) and
 * takes a new one from the pool. So a frame costs the kernel's copy into the batch and
 * a pooled slice object; the buffer itself comes from the pool once per batch.
 *
 * <h2>Offloads</h2>
 * <p>With offloads on ({@link TapDevice#enableOffloads()}) a frame may be a TCP
 * super-frame of up to 64 KiB: each read has room for one, and its virtio-net header
 * is read ({@link #offloaded}): a frame over the MTU must say GSO TCPV4 or TCPV6
 * ({@link TapCounter#GSO_FRAMES_IN}), and a partial checksum (NEEDS_CSUM) is completed
 * in place before the network sees the frame, so the engine handles it as any frame
 * (told where the completed checksum lies, it skips verifying that one, but checks a
 * checksum elsewhere as usual), and its TCP takes a segment of many MSS as one. Without offloads the
 * header says nothing: checksums are complete and frames within the MTU.
 *
 * <h2>Failure</h2>
 * <p>A read that fails with anything but EAGAIN means the tap is gone (deleted, or its
 * namespace destroyed: the kernel then reports EPOLLERR and EBADFD for ever): the link
 * counts {@link TapCounter#LINK_LOST}, detaches the network, closes the descriptor and
 * runs the owner's callback.
 *
 * <p>Everything here runs on the network's event loop.
 */
final class TapLink implements EpollIoHandle {
    private static final Logger LOG = LoggerFactory.getLogger(TapLink.class);
    /** Frames read per readiness event before giving the loop back, as Netty's default of 16 messages per read, times 4 for small frames. */
    static final int MAX_FRAMES_PER_EVENT = 64;
    /** An 802.1Q tag a frame may carry on top of the Ethernet header. */
    private static final int VLAN_TAG = 4;
    private static final int ETHERNET_HEADER = 14;
    private static final int MIN_BATCH = 64 * 1024;
    /** The longest frame a super-frame can be: an IP datagram's 64 KiB, a VLAN tag and the Ethernet header. */
    static final int GSO_FRAME = 65535 + VLAN_TAG + ETHERNET_HEADER;
    /** {@link #offloaded}'s answer for a frame it dropped. */
    private static final int DROPPED = -2;

    private final TapDevice device;
    private final GuestNetwork network;
    private final Counters<TapCounter> tapCounters;
    private final Counters<TransportCounter> counters;
    private final TapFrameSink sink;
    private final int frameCapacity;
    /** True if the kernel may hand over super-frames and partial checksums (TUNSETOFFLOAD done). */
    private final boolean offload;
    /** Bytes in front of each frame read: the virtio-net header, if the device has one. */
    private final int header;
    /** What one read(2) may fill: the header, a frame and one byte to detect a longer one. */
    private final int readLimit;
    private final int batchCapacity;
    private final Consumer<Throwable> onEnd;
    private IoRegistration registration;
    private boolean writeInterest;
    private final PortOptions portOptions;
    /** The network port of the tap while attached, else null. */
    private GuestPort port;
    private boolean closed;
    private ByteBuf batch;

    /**
     * @param device  the open tap; the link owns it from now on
     * @param offload true if {@link TapDevice#enableOffloads()} was done: frames read may
     *                be super-frames with partial checksums, and the sink sends super-frames
     * @param readMtu the largest IP MTU a frame from the tap may have
     * @param onEnd   runs on the loop once the link has ended: with null when closed,
     *                with the cause when the tap was lost
     */
    TapLink(TapDevice device, boolean offload, GuestNetwork network, LinkBuffers buffers, int readMtu, PortOptions portOptions,
            Consumer<Throwable> onEnd) {
        this.device = device;
        this.portOptions = portOptions;
        this.network = network;
        this.tapCounters = network.stats().service("tap", TapCounter.class);
        this.counters = GuestTransport.counters(network);
        this.frameCapacity = readMtu + ETHERNET_HEADER + VLAN_TAG;
        this.header = device.vnetHeader() ? TapDevice.VNET_HEADER : 0;
        this.offload = offload;
        this.readLimit = header + (offload ? Math.max(frameCapacity, GSO_FRAME) : frameCapacity) + 1;
        this.batchCapacity = Math.max(MIN_BATCH, 4 * readLimit);
        this.onEnd = onEnd;
        this.sink = new TapFrameSink(device.fd(), device.vnetHeader(), offload, network, this, counters,
                tapCounters, buffers, network.config().mtu() + ETHERNET_HEADER);
    }

    /** Called on the loop with the registration: starts reading and attaches the network. */
    void start(IoRegistration reg) {
        this.registration = reg;
        reg.submit(EpollIoOps.EPOLLIN);
        port = network.attach(sink, portOptions);
        counters.increment(TransportCounter.CONNECTIONS);
    }

    @Override
    public FileDescriptor fd() {
        return device.fd();
    }

    /** The tap's port of the network, or null before it is attached and after it ended. */
    GuestPort port() {
        return port;
    }

    /** The sink frames for the guest go to. */
    TapFrameSink sink() {
        return sink;
    }

    /** The bytes a read buffer holds for one frame: MTU, Ethernet header and a VLAN tag. */
    int frameCapacity() {
        return frameCapacity;
    }

    @Override
    public void handle(IoRegistration reg, IoEvent event) {
        if (closed) {
            return;
        }
        EpollIoOps ops = ((EpollIoEvent) event).ops();
        if (ops.contains(EpollIoOps.EPOLLOUT)) {
            sink.drain();
        }
        // EPOLLIN, and EPOLLERR/EPOLLHUP too: the read that follows tells what happened.
        if ((ops.value() & ~EpollIoOps.EPOLLOUT.value()) != 0 && !closed) {
            readFrames();
        }
    }

    /** Asks for EPOLLOUT (frames wait) or stops asking (the queue is empty). */
    void writeInterest(boolean on) {
        if (on == writeInterest || closed || registration == null) {
            return;
        }
        writeInterest = on;
        try {
            registration.submit(on ? EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLOUT) : EpollIoOps.EPOLLIN);
        } catch (RuntimeException e) {
            lost(e);
        }
    }

    private void readFrames() {
        FileDescriptor fd = device.fd();
        for (int i = 0; i < MAX_FRAMES_PER_EVENT && !closed; i++) {
            if (batch == null || batch.writableBytes() < readLimit) {
                if (batch != null) {
                    batch.release();
                }
                batch = network.alloc().directBuffer(batchCapacity, batchCapacity);
            }
            int start = batch.writerIndex();
            int n;
            try {
                if (batch.hasMemoryAddress()) {
                    n = fd.readAddress(batch.memoryAddress(), start, start + readLimit);
                } else {
                    ByteBuffer nio = batch.internalNioBuffer(start, readLimit);
                    n = fd.read(nio, nio.position(), nio.limit());
                }
            } catch (IOException | RuntimeException e) {
                lost(e);
                return;
            }
            if (n == 0) {
                return;                             // EAGAIN: no more frames for now
            }
            if (n < 0) {
                lost(new IOException("end of file on the tap"));
                return;
            }
            n -= header;
            if (n > readLimit - header - 1 || n < 0) {
                // The read had room for one byte more than a frame may have: filling it
                // means the frame was longer and the kernel cut it (tun_put_user() copies
                // what fits; kernels differ on whether they return the full length).
                // Less than a header is no frame at all.
                tapCounters.increment(TapCounter.TRUNCATED_FRAMES);
                continue;
            }
            batch.writerIndex(start + header + n);
            int checksummed = offloaded(start, n);
            if (checksummed == DROPPED) {
                continue;
            }
            network.receiveFromGuest(port, batch.retainedSlice(start + header, n), checksummed);
        }
    }

    /**
     * Checks the frame of {@code n} bytes whose virtio-net header is at {@code at} against
     * what its header says, and completes a partial checksum. Without offloads the header
     * says nothing (checksums complete, never a super-frame). With them, a frame over the
     * MTU must be a TCP super-frame (GSO TCPV4 or TCPV6, the only kinds enabled), and a
     * partial checksum (NEEDS_CSUM) is completed here, so that the network sees an
     * ordinary frame, valid for any port it may be switched to; the network is told
     * where, and does not sum the same bytes again to verify it: the summing the kernel
     * skipped is done once, on the whole super-frame.
     *
     * @return {@link #DROPPED} if the frame was dropped (counted); else where the checksum
     *         completed lies from the frame's first byte, or -1 if none was
     */
    private int offloaded(int at, int n) {
        if (!offload) {
            return -1;
        }
        int gso = VirtioNetHeader.gsoType(batch, at);
        if (gso != VirtioNetHeader.GSO_NONE) {
            if (!VirtioNetHeader.isTcpGso(gso)) {
                tapCounters.increment(TapCounter.BAD_VNET_HEADERS);
                return DROPPED;
            }
            tapCounters.increment(TapCounter.GSO_FRAMES_IN);
        } else if (n > frameCapacity) {
            tapCounters.increment(TapCounter.OVERSIZED_FRAMES);
            return DROPPED;
        }
        if ((VirtioNetHeader.flags(batch, at) & VirtioNetHeader.F_NEEDS_CSUM) == 0) {
            return -1;
        }
        int field = VirtioNetHeader.completeChecksum(batch, at, at + header, n);
        if (field < 0) {
            tapCounters.increment(TapCounter.BAD_VNET_HEADERS);
            return DROPPED;
        }
        return field;
    }

    private void lost(Throwable cause) {
        if (closed) {
            return;
        }
        tapCounters.increment(TapCounter.LINK_LOST);
        LOG.error("{} failed ({}); it is gone (deleted, or its namespace ended): the network is detached",
                device, cause.toString());
        end(cause);
    }

    /**
     * Ends the link, on the loop: detaches the network, releases the sink's queue and
     * the batch, cancels the registration and closes the descriptor (which removes a
     * non-persistent tap). Idempotent; also what the loop calls when it shuts down.
     */
    @Override
    public void close() {
        end(null);
    }

    private void end(Throwable cause) {
        if (closed) {
            return;
        }
        closed = true;
        if (port != null) {
            GuestPort p = port;
            port = null;
            network.detach(p);
            counters.increment(TransportCounter.DISCONNECTS);
        }
        sink.close();
        if (batch != null) {
            batch.release();
            batch = null;
        }
        if (registration != null) {
            registration.cancel();
        }
        device.close();
        onEnd.accept(cause);
    }
}
