package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.NatConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * A probe of the steady state's allocation (JMH with the GC profiler will measure it
 * properly in the benchmarks module): segments both ways through the core, with pooled
 * frames as a transport delivers them, must not allocate per segment. Runs with the
 * leak detector off for the measured part, since paranoid tracking allocates on every
 * buffer access.
 */
class TcpSteadyStateAllocationTest {
    private static final int TCP_OFF = EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH;

    /** A sink that remembers what the last segment acknowledged and sent, then releases the frame. */
    private static final class ProbeSink implements FrameSink {
        int frames;
        int lastSeqEnd;
        int lastAck;
        int tsVal;

        @Override
        public void send(ByteBuf frame) {
            int tcp = frame.readerIndex() + TCP_OFF;
            int ipLen = frame.getUnsignedShort(frame.readerIndex() + EthernetFrame.HEADER_LENGTH + 2);
            int hdr = (frame.getUnsignedByte(tcp + 12) >>> 4) * 4;
            int len = ipLen - Ipv4Packet.MIN_HEADER_LENGTH - hdr;
            int seq = frame.getInt(tcp + 4);
            lastAck = frame.getInt(tcp + 8);
            if (len > 0) {
                lastSeqEnd = seq + len;
            }
            if (hdr >= 32) {
                tsVal = frame.getInt(tcp + hdr - 8);
            }
            frames++;
            frame.release();
        }

        @Override
        public void flush() {
        }
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** A pooled copy of a frame built by GuestFrames, as a transport would hand it over. */
    private static ByteBuf pooled(ByteBuf heap) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(heap.readableBytes());
        b.writeBytes(heap);
        heap.release();
        return b;
    }

    /** Rewrites seq, ack and timestamps of a guest segment in place and fixes its checksum. */
    private static void patch(ByteBuf f, int seq, int ack, int tsVal, int tsEcr) {
        int tcp = TCP_OFF;
        f.setInt(tcp + 4, seq);
        f.setInt(tcp + 8, ack);
        f.setInt(tcp + 20 + 4, tsVal);       // GuestFrames writes NOP NOP TS first when only TS is set
        f.setInt(tcp + 20 + 8, tsEcr);
        int len = f.writerIndex() - tcp;
        TcpPacket.writeChecksum(f, tcp, len, GuestFrames.GUEST_IP, GuestFrames.GATEWAY);
    }

    /**
     * Runs on a FastThreadLocalThread, as a Netty event loop does: Netty 4.2 recycles
     * buffer and slice objects only on such threads.
     */
    @Test
    void bulkTransferBothWaysAllocatesNothingPerSegment() throws Throwable {
        Throwable[] failure = new Throwable[1];
        Thread t = new io.netty.util.concurrent.FastThreadLocalThread(() -> {
            try {
                probe();
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "probe");
        t.start();
        t.join();
        if (failure[0] != null) {
            throw failure[0];
        }
    }

    private void probe() {
        FakeHost host = new FakeHost();
        TcpNat nat = new TcpNat(NatConfig.defaults(), host);
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ByteBuf ack = null;
        ByteBuf data = null;
        try (VirtualGuest g = VirtualGuest.embedded(new TcpOnlyService(nat))) {
            host.attach(g);
            g.network().detach();
            ProbeSink sink = new ProbeSink();
            g.network().attach(sink);
            int iss = 1000;
            g.send(GuestFrames.tcp(GuestFrames.GATEWAY, t -> t.from(40000).to(80).seq(iss).flags(TcpPacket.SYN)
                    .mss(1460).windowScale(7).timestamp(1, 0).window(65535)));
            FakeHost.Socket socket = host.last();
            socket.discard = true;
            socket.accept();
            TcpFlow flow = socket.flow;
            sink.lastSeqEnd = flow.snd.iss + 1;     // the guest's first ACK completes the handshake
            // Buffers allocated from here on are not tracked (tracking allocates per access).
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
            ack = pooled(GuestFrames.tcp(GuestFrames.GATEWAY, t -> t.from(40000).to(80).seq(iss + 1)
                    .ack(flow.snd.iss + 1).window(65535).timestamp(2, sink.tsVal)));
            data = pooled(GuestFrames.tcp(GuestFrames.GATEWAY, t -> t.from(40000).to(80).seq(iss + 1)
                    .ack(flow.snd.iss + 1).window(65535).timestamp(2, sink.tsVal).data(new byte[1448])));
            final ByteBuf ackFrame = ack;
            final ByteBuf dataFrame = data;
            int[] guestSeq = {iss + 1};
            int[] tsVal = {3};
            Runnable round = () -> {
                // Host to guest: one 64 KiB read, then the guest acknowledges all of it.
                long now = g.network().nanoTime();
                if (flow.host.readSpace() >= 65536) {
                    ByteBuf read = PooledByteBufAllocator.DEFAULT.directBuffer(65536);
                    read.writerIndex(65536);
                    flow.host.onData(read, now);
                }
                flow.host.onReadComplete(now);
                g.runPending();
                patch(ackFrame, guestSeq[0], sink.lastSeqEnd, tsVal[0]++, sink.tsVal);
                ackFrame.retain();
                g.network().receiveFromGuest(ackFrame);
                // Guest to host: eight full segments in one turn.
                for (int i = 0; i < 8; i++) {
                    patch(dataFrame, guestSeq[0], sink.lastSeqEnd, tsVal[0]++, sink.tsVal);
                    guestSeq[0] += 1448;
                    dataFrame.retain();
                    g.network().receiveFromGuest(dataFrame);
                }
                g.runPending();
            };
            for (int i = 0; i < 3000; i++) {
                round.run();
            }
            int framesBefore = sink.frames;
            long bytesFromGuestBefore = g.network().stats().service("nat.tcp", TcpCounter.class)
                    .get(TcpCounter.BYTES_FROM_GUEST);
            long before = allocatedBytes();
            int rounds = 2000;
            for (int i = 0; i < rounds; i++) {
                round.run();
            }
            long allocated = allocatedBytes() - before;
            ResourceLeakDetector.setLevel(level);
            int framesOut = sink.frames - framesBefore;
            long segmentsIn = (g.network().stats().service("nat.tcp", TcpCounter.class)
                    .get(TcpCounter.BYTES_FROM_GUEST) - bytesFromGuestBefore) / 1448;
            assertThat(framesOut).as("segments to the guest").isGreaterThan(rounds * 40);
            assertThat(segmentsIn).isEqualTo(rounds * 8L);
            long perSegment = allocated / (framesOut + segmentsIn + rounds);
            System.out.printf("steady state: %d bytes allocated for %d frames out, %d segments in (%d B/segment)%n",
                    allocated, framesOut, segmentsIn, perSegment);
            assertThat(perSegment).as("bytes allocated per segment").isLessThan(8);
        } finally {
            if (ack != null) {
                ack.release();
            }
            if (data != null) {
                data.release();
            }
            ResourceLeakDetector.setLevel(level);
        }
    }
}
