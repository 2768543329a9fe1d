package dev.jslirp.transport.tap;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.iface.RateLimitedLog;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TransportCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.IovArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frames for the guest written to the tap, one write(2) per frame: a tap takes one
 * frame per write and has no gathering write, so there is nothing to batch and each
 * frame goes out as soon as the network sends it ({@link #flush()} has nothing to do).
 *
 * <h2>Backpressure</h2>
 * <p>The kernel refuses a write with EAGAIN only when the tap's send buffer is full
 * (the namespace's stack is not taking packets as fast as jslirp makes them). Then the
 * frame, and every later one so that order holds, waits in a queue bounded by
 * {@link LinkBuffers}, and the link asks the event loop for EPOLLOUT; when it comes,
 * {@link #drain()} writes the queue out. Above the high water mark the sink reports
 * itself unwritable (TCP flows pause reading their host sockets), at or below the low
 * mark writable again; frames beyond the hard bound are dropped and counted
 * ({@link TransportCounter#QUEUE_FULL}), as a NIC drops when its ring is full.
 *
 * <h2>Buffers</h2>
 * <p>A frame is written straight from its own memory, at its reader index (the
 * network's headroom in front is simply not written). A composite of direct buffers
 * (a large TCP segment: its headers and a slice of the host data, see
 * {@code TcpFlow.UNCOPIED_PAYLOAD_MIN}) goes out with one writev(2), which the tap takes
 * as one frame like a write. Any other frame that is not one direct buffer (a heap
 * buffer) is first copied into one reused direct scratch buffer. Every frame is
 * released here: once written, dropped or, at close, still queued.
 *
 * <h2>The virtio-net header</h2>
 * <p>A tap opened with one ({@link TapDevice#vnetHeader()}) takes a 10-byte
 * {@code struct virtio_net_hdr} before each frame, written into the frame's headroom
 * (or the scratch copy). For a TCP segment it says {@code NEEDS_CSUM} with where the
 * checksum lies, and the segment's checksum field holds only the pseudo-header sum
 * ({@link #completesTcpChecksums()}: the core then skips summing the payload). That is an
 * IPv4 segment that is not a fragment, or an IPv6 segment whose TCP header follows the
 * fixed header: the core never puts extension headers in front of TCP (its segments
 * leave within the MTU, unfragmented), so an IPv6 TCP segment behind extension headers
 * was not written by it, carries its full checksum, and gets a header of zeros: the
 * guest's kernel checks that checksum as it stands. The
 * guest's kernel takes such a segment as {@code CHECKSUM_PARTIAL}: valid as it is for
 * local delivery, completed by the kernel should the guest forward it. The data never
 * leaves the machine's memory between the host socket and the guest, so nothing is lost
 * in checking: the checksum guards a wire jslirp does not have. Other frames get a
 * header of zeros.
 *
 * <h2>Super-frames (GSO)</h2>
 * <p>With offloads on, the sink also takes TCP segments over the MTU, up to an IP
 * datagram of 64 KiB ({@link #maxTcpSegment()}: the NAT then sends whole-MSS
 * super-segments), and writes them with {@code gso_type} TCPV4 or TCPV6 and
 * {@code gso_size} the payload that fills the MTU behind the segment's own IP and TCP
 * headers ({@link TapCounter#GSO_FRAMES_OUT}). The namespace's kernel takes such a frame
 * whole for a local socket, or cuts it into MTU-sized segments (each with the headers
 * copied and the checksum completed) if it forwards it. Any other frame over the MTU is
 * dropped and counted ({@link TransportCounter#OVERSIZED_TO_GUEST}).
 *
 * <p>Used on the network's event loop only.
 */
final class TapFrameSink implements FrameSink {
    private static final Logger LOG = LoggerFactory.getLogger(TapFrameSink.class);
    /**
     * The longest super-frame: an Ethernet header and an IP datagram of 64 KiB (IPv4's
     * total length; IPv6's payload length leaves 40 bytes more, not used).
     */
    static final int GSO_FRAME = EthernetFrame.HEADER_LENGTH + 65535;
    /**
     * The most TCP payload a super-segment may carry: what an IPv4 datagram of 64 KiB
     * holds behind the largest IP and TCP headers the core writes (20 and 60 bytes).
     */
    static final int MAX_TCP_SEGMENT = 65535 - Ipv4Packet.MIN_HEADER_LENGTH - 60;

    private final FileDescriptor fd;
    private final GuestNetwork network;
    private final TapLink link;
    private final Counters<TransportCounter> counters;
    private final Counters<TapCounter> tapCounters;
    /** True if TCP segments over the MTU go out as super-frames for the kernel to segment. */
    private final boolean gso;
    private final LinkBuffers buffers;
    private final int maxFrame;
    private final ByteBufAllocator alloc;
    private final RateLimitedLog errorLog = new RateLimitedLog(LOG, 5);
    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    private long queuedBytes;
    private long dropped;
    private boolean writable = true;
    private boolean closed;
    /** Direct copy of a frame that is not one direct buffer; made on first need. */
    private ByteBuf scratch;
    /** The iovec array of gathering writes; made on first need. */
    private IovArray iov;
    /** Bytes of virtio-net header before each frame: 0 or {@link TapDevice#VNET_HEADER}. */
    private final int header;

    /**
     * @param gso      true to take TCP segments up to {@link #MAX_TCP_SEGMENT} and send them
     *                 as super-frames (needs the virtio-net header)
     * @param maxFrame the longest frame the tap takes: its MTU plus the Ethernet header
     */
    TapFrameSink(FileDescriptor fd, boolean vnetHeader, boolean gso, GuestNetwork network, TapLink link,
                 Counters<TransportCounter> counters, Counters<TapCounter> tapCounters, LinkBuffers buffers,
                 int maxFrame) {
        this.fd = fd;
        this.header = vnetHeader ? TapDevice.VNET_HEADER : 0;
        this.gso = gso && vnetHeader;
        this.tapCounters = tapCounters;
        this.network = network;
        this.link = link;
        this.counters = counters;
        this.buffers = buffers;
        this.maxFrame = maxFrame;
        this.alloc = network.alloc();
    }

    /** Writes {@code frame} now, or queues it behind earlier frames; releases it in every case. */
    @Override
    public void send(ByteBuf frame) {
        int length = frame.readableBytes();
        if (closed) {
            counters.increment(TransportCounter.NO_PEER);
            frame.release();
            return;
        }
        if (length > maxFrame && (!gso || length > GSO_FRAME
                || tcpHeaderOffset(frame, frame.readerIndex(), length) == 0)) {
            counters.increment(TransportCounter.OVERSIZED_TO_GUEST);
            frame.release();
            return;
        }
        if (queue.isEmpty()) {
            if (write(frame)) {
                frame.release();
                return;
            }
            link.writeInterest(true);
        }
        enqueue(frame, length);
    }

    /** Nothing: every frame is written by {@link #send} or waits for EPOLLOUT. */
    @Override
    public void flush() {
    }

    @Override
    public boolean isWritable() {
        return writable;
    }

    /** True with a virtio-net header: see the class comment. */
    @Override
    public boolean completesTcpChecksums() {
        return header > 0;
    }

    /** {@link #MAX_TCP_SEGMENT} with offloads on, else 0: see the class comment. */
    @Override
    public int maxTcpSegment() {
        return gso ? MAX_TCP_SEGMENT : 0;
    }

    private void tellNetwork(boolean nowWritable) {
        GuestPort p = link.port();
        if (p != null) {
            network.guestWritabilityChanged(p, nowWritable);
        }
    }

    @Override
    public long queuedBytes() {
        return queuedBytes;
    }

    @Override
    public long droppedFrames() {
        return dropped;
    }

    /** The tap is writable again: writes out the queue as far as the kernel takes it. */
    void drain() {
        ByteBuf head;
        while ((head = queue.peek()) != null) {
            int length = head.readableBytes();
            if (!write(head)) {
                break;
            }
            queue.poll();
            queuedBytes -= length;
            head.release();
        }
        if (queue.isEmpty()) {
            link.writeInterest(false);
        }
        if (!writable && queuedBytes <= buffers.lowWaterMark()) {
            writable = true;
            tellNetwork(true);
        }
    }

    /** Releases every queued frame and the scratch buffer; later frames are dropped. Idempotent. */
    void close() {
        closed = true;
        ByteBuf b;
        while ((b = queue.poll()) != null) {
            b.release();
        }
        queuedBytes = 0;
        if (scratch != null) {
            scratch.release();
            scratch = null;
        }
        if (iov != null) {
            iov.release();
            iov = null;
        }
    }

    private void enqueue(ByteBuf frame, int length) {
        if (queuedBytes + length > buffers.maxQueuedBytes()) {
            counters.increment(TransportCounter.QUEUE_FULL);
            dropped++;
            frame.release();
            return;
        }
        queue.add(frame);
        queuedBytes += length;
        if (writable && queuedBytes > buffers.highWaterMark()) {
            writable = false;
            counters.increment(TransportCounter.BECAME_UNWRITABLE);
            tellNetwork(false);
        }
    }

    /**
     * One write(2) of {@code frame}'s readable bytes; does not release it.
     *
     * @return false if the tap would block (EAGAIN: try again on EPOLLOUT); true if the
     *         frame is done with: written, or failed and counted
     */
    private boolean write(ByteBuf frame) {
        int index = frame.readerIndex();
        int length = frame.readableBytes();
        try {
            int written;
            if (header > 0) {
                if (index < header || frame.isReadOnly()) {
                    return written(writeCopy(frame, index, length), length + header);
                }
                index -= header;
                length += header;
                writeVnetHeader(frame, index, frame, index + header, length - header);
            }
            if (frame.hasMemoryAddress()) {
                written = fd.writeAddress(frame.memoryAddress(), index, index + length);
            } else if (frame.isDirect() && frame.nioBufferCount() == 1) {
                ByteBuffer nio = frame.internalNioBuffer(index, length);
                written = fd.write(nio, nio.position(), nio.limit());
            } else if (frame.isDirect()) {
                written = writeGathering(frame, index, length);
            } else {
                written = writeCopy(frame, index, length);
            }
            return written(written, length);
        } catch (IOException | RuntimeException e) {
            // EIO while the interface is down, EBADFD once it is deleted: the frame is lost,
            // as on a wire; a dead tap is noticed by the read side, which ends the link.
            counters.increment(TransportCounter.SEND_ERRORS);
            errorLog.debug(network.nanoTime(), "write to the tap failed: {}{}", e, "");
        }
        return true;
    }

    /** {@link #write}'s answer for a write(2) that returned {@code written} of {@code length} bytes. */
    private boolean written(int written, int length) {
        if (written == 0 && length > 0) {
            return false;
        }
        if (written != length) {
            // A tap takes a frame whole or not at all; anything else is a kernel surprise.
            counters.increment(TransportCounter.SEND_ERRORS);
            errorLog.debug(network.nanoTime(), "short write to the tap: {} of {} bytes", written, length);
        }
        return true;
    }

    /**
     * Writes at {@code at} of {@code buf} the virtio-net header of the frame of
     * {@code length} bytes at {@code index} of {@code frame}: NEEDS_CSUM for a TCP
     * segment the core wrote (see {@link #tcpHeaderOffset}), zeros otherwise; for a TCP
     * segment over the MTU also GSO TCPV4 or TCPV6 with gso_size the payload that fills
     * the MTU behind this segment's own headers (the flow sends super-segments only when
     * the guest's MSS is the MTU's, so that is its MSS less the options it carries).
     */
    private void writeVnetHeader(ByteBuf buf, int at, ByteBuf frame, int index, int length) {
        int tcp = tcpHeaderOffset(frame, index, length);
        if (tcp == 0) {
            VirtioNetHeader.write(buf, at, 0, VirtioNetHeader.GSO_NONE, 0, 0, 0, 0);
            return;
        }
        int type = VirtioNetHeader.GSO_NONE;
        int headers = 0;
        int segment = 0;
        if (length > maxFrame) {
            headers = tcp + (frame.getUnsignedByte(index + tcp + 12) >> 4) * 4;
            segment = maxFrame - headers;
            type = frame.getUnsignedShort(index + 12) == EthernetFrame.TYPE_IPV4
                    ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6;
            tapCounters.increment(TapCounter.GSO_FRAMES_OUT);
        }
        VirtioNetHeader.write(buf, at, VirtioNetHeader.F_NEEDS_CSUM, type, headers, segment, tcp, TcpPacket.CHECKSUM);
    }

    /**
     * Where the TCP header of the frame at {@code index} starts, counted from the frame's
     * first byte, if the frame is a TCP segment whose checksum the guest may complete;
     * else 0. That is an IPv4 segment that is not a fragment (any header length), or an
     * IPv6 segment whose fixed header is followed directly by TCP (next header 6): see
     * the class comment for why extension headers mean "leave it as it is".
     */
    private static int tcpHeaderOffset(ByteBuf frame, int index, int length) {
        int ip = index + EthernetFrame.HEADER_LENGTH;
        int type = length >= EthernetFrame.HEADER_LENGTH ? frame.getUnsignedShort(index + 12) : 0;
        if (type == EthernetFrame.TYPE_IPV4 && length >= EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH
                && frame.getUnsignedByte(ip + 9) == Ipv4Packet.PROTO_TCP
                && (frame.getUnsignedShort(ip + 6) & 0x3fff) == 0) {
            return EthernetFrame.HEADER_LENGTH + (frame.getUnsignedByte(ip) & 0xf) * 4;
        }
        if (type == EthernetFrame.TYPE_IPV6 && length >= EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH
                && frame.getUnsignedByte(ip + 6) == Ipv6Packet.NH_TCP) {
            return EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH;
        }
        return 0;
    }

    /** One writev(2) of a frame in several direct buffers (or a copy if the iovec array cannot hold them). */
    private int writeGathering(ByteBuf frame, int index, int length) throws IOException {
        if (iov == null) {
            iov = new IovArray();                   // IOV_MAX entries of native memory, freed by release()
        }
        iov.clear();
        if (!iov.add(frame, index, length)) {
            return writeCopy(frame, index, length);
        }
        return (int) fd.writevAddresses(iov.memoryAddress(0), iov.count());
    }

    /** Writes the header (if any) and the frame from one direct copy. */
    private int writeCopy(ByteBuf frame, int index, int length) throws IOException {
        if (scratch == null) {
            int room = header + (gso ? GSO_FRAME : maxFrame);
            scratch = alloc.directBuffer(room, room);
        }
        scratch.clear();
        if (header > 0) {
            writeVnetHeader(scratch, 0, frame, index, length);
            scratch.writerIndex(header);
        }
        scratch.writeBytes(frame, index, length);
        int total = header + length;
        if (scratch.hasMemoryAddress()) {
            return fd.writeAddress(scratch.memoryAddress(), 0, total);
        }
        ByteBuffer nio = scratch.internalNioBuffer(0, total);
        return fd.write(nio, nio.position(), nio.limit());
    }
}
