package dev.jslirp.bench;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;
import java.util.function.Consumer;

/**
 * The guest's end of one TCP connection, scripted with pre-built segments, for
 * benchmarks of the TCP NAT's data path. It knows nothing of the NAT's internals: it
 * sends what a guest's stack would (SYN, ACK, data) through
 * {@link GuestNetwork#receiveFromGuest} and reads the NAT's segments from the guest's
 * sink, whose {@link ReleasingSink.Inspector} it is.
 *
 * <h2>Theory of operation</h2>
 * <p>The connection is {@code 10.0.2.15:guestPort -> 10.0.2.2:hostPort}, which the NAT
 * continues to 127.0.0.1:hostPort, or over IPv6
 * {@code [fec0::5054:ff:fe12:3456]:guestPort -> [fec0::2]:hostPort}, continued to
 * [::1]:hostPort. The guest offers the MSS of a 1500-byte MTU (1460, or 1440 over IPv6),
 * window 65535 and window scale 7 (RFC 7323), so its receive window never limits a
 * benchmark whether or not the NAT scales. Its segments are templates built once: one pure ACK and
 * {@code batch} data segments of {@code payload} bytes, each rewritten in place (sequence
 * and acknowledgment number, checksum updated incrementally per RFC 1624) before it is
 * handed over as a retained slice. A data template is reused only a batch later, when
 * the host has read its bytes, so the NAT may hold a slice of its payload until then.
 *
 * <p>From the NAT it takes the SYN-ACK (its ISS), in-order data (counted in
 * {@link #received()}; out-of-order data is ignored and re-acknowledged), FIN, RST
 * (counted in {@link #resets()}). After each flush of frames to the guest (the end of a
 * loop turn) it acknowledges what it got with one ACK, sent from a task of its own on
 * the loop, as a guest acknowledges a burst.
 *
 * <p>Everything but the {@link Progress} counters is confined to the event loop.
 */
final class ScriptedTcpGuest implements ReleasingSink.Inspector {
    /** The guest's initial sequence number. */
    static final int ISS = 0x1000_0000;
    private static final int WINDOW = 65535;
    private static final int WINDOW_SCALE = 7;
    /** The MSS at MTU 1500 over IPv4: 1500 - 20 - 20. */
    static final int MSS = 1460;
    /** The MSS at MTU 1500 over IPv6: 1500 - 40 - 20. */
    static final int MSS6 = 1440;

    private final boolean ipv6;
    /** Where the TCP header starts in a template: after a 20-byte IPv4 or 40-byte IPv6 header. */
    private final int tcpOffset;
    private final int guestPort;
    private final int hostPort;
    private final int batch;
    private final int payload;
    private final EthernetFrame eth = new EthernetFrame();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final Ipv6Packet ip6 = new Ipv6Packet();
    private final TcpPacket tcp = new TcpPacket();
    private final Progress synAcks = new Progress();
    private final Progress received = new Progress();
    private final Progress resets = new Progress();
    private final Runnable ackTask = this::sendAck;
    private final Runnable burstTask = this::sendBurst;
    private GuestNetwork network;
    private ByteBuf syn;
    private ByteBuf ack;
    private ByteBuf[] data;
    private boolean established;
    private boolean ackScheduled;
    /** Set once the templates are released: the NAT may still send (a FIN, a retransmission) after that. */
    private boolean released;
    private int sndNxt = ISS + 1;
    private int rcvNxt;
    private int lastAckSent;
    private long outOfOrder;

    /**
     * A guest for {@code guestPort -> 10.0.2.2:hostPort} ({@code [fec0::2]:hostPort} if
     * {@code ipv6}) sending bursts of {@code batch} segments of {@code payload} bytes (1 to
     * the family's MSS, {@value #MSS} or {@value #MSS6}).
     */
    ScriptedTcpGuest(boolean ipv6, int guestPort, int hostPort, int batch, int payload) {
        if (payload < 1 || payload > mss(ipv6)) {
            throw new IllegalArgumentException("payload " + payload + " not in 1.." + mss(ipv6));
        }
        this.ipv6 = ipv6;
        this.tcpOffset = EthernetFrame.HEADER_LENGTH + (ipv6 ? Ipv6Packet.HEADER_LENGTH : Ipv4Packet.MIN_HEADER_LENGTH);
        this.guestPort = guestPort;
        this.hostPort = hostPort;
        this.batch = batch;
        this.payload = payload;
    }

    /** The MSS of a 1500-byte MTU in the family: {@value #MSS6} over IPv6, {@value #MSS} over IPv4. */
    static int mss(boolean ipv6) {
        return ipv6 ? MSS6 : MSS;
    }

    /** Builds the templates for {@code net}. Call on its event loop, before {@link #sendSyn()}. */
    void start(GuestNetwork net) {
        this.network = net;
        int mss = mss(ipv6);
        syn = template(t -> t.from(guestPort).to(hostPort).seq(ISS).flags(TcpPacket.SYN).window(WINDOW).mss(mss)
                .windowScale(WINDOW_SCALE));
        ack = template(t -> t.from(guestPort).to(hostPort).ack(0).window(WINDOW));
        byte[] bytes = Templates.payload(payload);
        data = new ByteBuf[batch];
        for (int i = 0; i < batch; i++) {
            data[i] = template(t -> t.from(guestPort).to(hostPort).ack(0).flags(TcpPacket.PSH).window(WINDOW)
                    .data(bytes));
        }
    }

    /** A pooled segment from the guest to the host address of the family, as {@code spec} describes. */
    private ByteBuf template(Consumer<GuestFrames.Tcp> spec) {
        return Templates.pooled(ipv6 ? GuestFrames6.tcp(GuestFrames6.HOST6, spec)
                : GuestFrames.tcp(GuestFrames.GATEWAY, spec));
    }

    /** Sends the SYN. Call on the loop. */
    void sendSyn() {
        network.receiveFromGuest(syn.retainedSlice());
    }

    /** Completes the handshake with an ACK of the SYN-ACK. Call on the loop once {@link #synAcks()} rose. */
    void sendHandshakeAck() {
        sendAck();
    }

    /** SYN-ACKs taken (0 or 1). */
    Progress synAcks() {
        return synAcks;
    }

    /** In-order payload bytes received from the NAT. */
    Progress received() {
        return received;
    }

    /** RSTs received. */
    Progress resets() {
        return resets;
    }

    /** Segments that did not start at the next expected byte (read on the loop). */
    long outOfOrder() {
        return outOfOrder;
    }

    /** The task that sends one burst of {@code batch} data segments; run it on the loop. */
    Runnable burst() {
        return burstTask;
    }

    private void sendBurst() {
        for (ByteBuf f : data) {
            rewrite(f, sndNxt, rcvNxt);
            sndNxt += payload;
            network.receiveFromGuest(f.retainedSlice());
        }
        lastAckSent = rcvNxt;
    }

    private void sendAck() {
        ackScheduled = false;
        if (released) {
            return;
        }
        rewrite(ack, sndNxt, rcvNxt);
        lastAckSent = rcvNxt;
        network.receiveFromGuest(ack.retainedSlice());
    }

    /** Sets a template's sequence and acknowledgment numbers, updating its checksum (RFC 1624 eqn. 3). */
    private void rewrite(ByteBuf f, int seq, int ackNo) {
        int off = f.readerIndex() + tcpOffset;
        int checksum = f.getUnsignedShort(off + 16);
        checksum = Checksums.update32(checksum, f.getInt(off + 4), seq);
        checksum = Checksums.update32(checksum, f.getInt(off + 8), ackNo);
        f.setInt(off + 4, seq);
        f.setInt(off + 8, ackNo);
        f.setShort(off + 16, checksum);
    }

    /** Reads a frame to the guest: the NAT's segments of this connection; the rest is ignored. */
    @Override
    public void inspect(ByteBuf frame) {
        if (!eth.wrap(frame) || !wrapTcp(frame) || tcp.sourcePort() != hostPort || tcp.destinationPort() != guestPort) {
            return;
        }
        if (tcp.has(TcpPacket.RST)) {
            resets.advance(1);
            return;
        }
        if (tcp.has(TcpPacket.SYN)) {
            if (tcp.has(TcpPacket.ACK) && !established && tcp.ack() == ISS + 1) {
                established = true;
                rcvNxt = tcp.seq() + 1;
                synAcks.advance(1);
            }
            return;
        }
        int len = tcp.payloadLength();
        if (len > 0) {
            if (tcp.seq() == rcvNxt) {
                rcvNxt += len;
                received.advance(len);
            } else {
                outOfOrder++;
                lastAckSent = rcvNxt - 1;   // forces an ACK of what we have, as a duplicate ACK
            }
        }
        if (tcp.has(TcpPacket.FIN) && tcp.seq() + len == rcvNxt) {
            rcvNxt++;
        }
    }

    /** Points {@link #tcp} at the segment in {@code frame} (Ethernet wrapped) if it is TCP of the guest's family. */
    private boolean wrapTcp(ByteBuf frame) {
        if (ipv6) {
            return eth.etherType() == EthernetFrame.TYPE_IPV6
                    && ip6.wrap(frame, eth.payloadOffset(), frame.writerIndex()) == null
                    && ip6.upperProtocol() == Ipv6Packet.NH_TCP
                    && tcp.wrap(frame, ip6.upperOffset(), ip6.upperLength());
        }
        return eth.etherType() == EthernetFrame.TYPE_IPV4
                && ip.wrap(frame, eth.payloadOffset(), frame.writerIndex()) == null
                && ip.protocol() == Ipv4Packet.PROTO_TCP
                && tcp.wrap(frame, ip.payloadOffset(), ip.payloadLength());
    }

    /** The end of a loop turn's frames: acknowledges them with one ACK if anything new came. */
    @Override
    public void flushed() {
        if (established && !released && rcvNxt != lastAckSent && !ackScheduled) {
            ackScheduled = true;
            network.eventLoop().execute(ackTask);
        }
    }

    /** Releases the templates. Call on the loop. */
    void release() {
        if (syn != null && !released) {
            released = true;
            syn.release();
            ack.release();
            for (ByteBuf f : data) {
                f.release();
            }
        }
    }
}
