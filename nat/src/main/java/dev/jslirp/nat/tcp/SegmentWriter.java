package dev.jslirp.nat.tcp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.TcpOptions;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;

/**
 * Builds every segment jslirp sends to the guest: a flow's segments ({@link #emit}),
 * with the options and window of the moment and its payload taken from the send
 * buffer, and the stateless RSTs of RFC 9293 section 3.10.7.1 ({@link #replyRst},
 * {@link #sendRst}). Frames come from {@link GuestContext#newFrame} and go to
 * {@link GuestContext#send}, which decides the checksum's form and writes the IP
 * header of the flow's family.
 *
 * <p>One per NAT: its scratch {@link TcpOptions} is reused for every segment, so
 * building a segment allocates nothing but its frame from the pool.
 */
final class SegmentWriter {
    /**
     * Segments to the guest with at least this much data, if it lies in one host read
     * buffer, go out as headers plus a slice of that buffer (a composite frame the
     * transport writes with one gathering write) instead of a copy. Below it the copy
     * is cheaper than the composite's bookkeeping, which also allocates a little per
     * frame; so at MTU 1500 every segment is still copied and nothing is allocated.
     * At MTU 65520 the copy was a 64 KiB memcpy per frame.
     */
    static final int UNCOPIED_PAYLOAD_MIN = 16 << 10;

    private final TcpStack stack;
    private final TcpOptions options = new TcpOptions();

    SegmentWriter(TcpStack stack) {
        this.stack = stack;
    }

    /**
     * Sends one segment of {@code f} to the guest, with DF set. Payload: {@code len}
     * bytes at {@code dataOffset} from {@code sndUna} in the send buffer, copied once;
     * or, from {@link #UNCOPIED_PAYLOAD_MIN} bytes on and when they lie in one host
     * read buffer, attached uncopied. Options: on SYNs what we offer, on others
     * timestamps and SACK blocks as negotiated; none on RSTs.
     */
    void emit(TcpFlow f, int seq, int flags, int dataOffset, int len, long now) {
        GuestContext ctx = stack.ctx;
        NegotiatedOptions n = f.negotiated;
        TcpOptions o = options.clear();
        boolean syn = (flags & TcpPacket.SYN) != 0;
        boolean rst = (flags & TcpPacket.RST) != 0;
        if (syn) {
            o.mss = n.ourMss;
            boolean offerAll = f.offersAllOptions();
            if (offerAll || n.wsOn) {
                o.windowScale = stack.rcvWndShift;
            }
            o.sackPermitted = offerAll || n.sackOn;
            if (offerAll || n.tsOn) {
                o.hasTimestamp = true;
                o.tsVal = n.tsClock(now);
                o.tsEcr = n.tsOn ? n.tsRecent : 0;
            }
        } else if (!rst) {
            if (n.tsOn) {
                o.hasTimestamp = true;
                o.tsVal = n.tsClock(now);
                o.tsEcr = n.tsRecent;
            }
            if (n.sackOn && !f.rcv.outOfOrder.isEmpty()) {
                o.sackBlocks = f.rcv.outOfOrder.sackBlocks(o.sackLeft, o.sackRight, n.maxSackBlocks());
            }
        }
        int ack = (flags & TcpPacket.ACK) != 0 ? f.rcv.rcvNxt : 0;
        int window = rst ? 0 : f.rcv.windowField(syn);
        int hdr = TcpPacket.MIN_HEADER_LENGTH + o.writtenLength();
        ByteBuf payload = len >= UNCOPIED_PAYLOAD_MIN ? f.snd.buffer.retainedSlice(dataOffset, len) : null;
        ByteBuf frame = ctx.newFrame(payload == null ? hdr + len : hdr);
        int off = frame.writerIndex();
        TcpPacket.writeHeader(frame, off, f.remotePort, f.guestPort, seq, ack, hdr, flags, window);
        o.write(frame, off + TcpPacket.MIN_HEADER_LENGTH);
        if (payload != null) {
            stack.counters.increment(TcpCounter.SEGMENTS_UNCOPIED);
            frame.writerIndex(off + hdr);
            ctx.send(frame, payload, f.remote, f.guest, GuestPacket.PROTO_TCP, GuestContext.DONT_FRAGMENT);
        } else {
            if (len > 0) {
                f.snd.buffer.copyTo(dataOffset, frame, off + hdr, len);
            }
            frame.writerIndex(off + hdr + len);
            ctx.send(frame, f.remote, f.guest, GuestPacket.PROTO_TCP, GuestContext.DONT_FRAGMENT);
        }
        if ((flags & TcpPacket.ACK) != 0) {
            f.rcv.ackSent();
        }
    }

    /**
     * Answers a segment that belongs to no connection as RFC 9293 section 3.10.7.1 says
     * for CLOSED: {@code <SEQ=SEG.ACK><CTL=RST>} if it had ACK, else
     * {@code <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>}. Never answers a RST.
     */
    void replyRst(GuestPacket p) {
        TcpPacket t = p.tcp();
        if (t.has(TcpPacket.RST)) {
            return;
        }
        IpAddress src = p.destination();
        IpAddress dst = p.source();
        if (t.has(TcpPacket.ACK)) {
            sendRst(src, t.destinationPort(), dst, t.sourcePort(), t.ack(), 0, TcpPacket.RST);
        } else {
            sendRst(src, t.destinationPort(), dst, t.sourcePort(), 0, t.seq() + t.sequenceLength(),
                    TcpPacket.RST | TcpPacket.ACK);
        }
    }

    /** Sends a bare RST segment from {@code src:srcPort} to the guest at {@code dst:dstPort}. */
    void sendRst(IpAddress src, int srcPort, IpAddress dst, int dstPort, int seq, int ack, int flags) {
        int len = TcpPacket.MIN_HEADER_LENGTH;
        ByteBuf frame = stack.ctx.newFrame(len);
        int off = frame.writerIndex();
        TcpPacket.writeHeader(frame, off, srcPort, dstPort, seq, ack, len, flags, 0);
        frame.writerIndex(off + len);
        stack.ctx.send(frame, src, dst, GuestPacket.PROTO_TCP, GuestContext.DONT_FRAGMENT);
    }
}
