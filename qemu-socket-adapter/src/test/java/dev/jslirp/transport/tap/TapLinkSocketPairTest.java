package dev.jslirp.transport.tap;

import static dev.jslirp.transport.TestNetwork.arpRequestForGateway;
import static dev.jslirp.transport.TestNetwork.isArpReplyFromGateway;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TestNetwork;
import dev.jslirp.transport.TransportCounter;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.EthernetFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.unix.FileDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tap link's reading, writing and backpressure on the epoll loop, with one end of
 * a non-blocking unix datagram socket pair standing in for the tap: like a tap, one
 * message per read and per write, and EAGAIN when the other side stops reading. The
 * test holds the other end. Needs no root.
 */
class TapLinkSocketPairTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    /** Small bounds so a few frames reach them: about 2, 10 and 20 full-size frames. */
    private static final LinkBuffers BUFFERS = new LinkBuffers(4000, 15000, 30000);

    /** socketpair(2), for the test only. */
    interface Pair extends Library {
        int AF_UNIX = 1;
        int SOCK_DGRAM = 2;
        int SOCK_NONBLOCK = 0x800;
        int SOCK_CLOEXEC = 0x80000;

        int socketpair(int domain, int type, int protocol, int[] sv) throws LastErrorException;
    }

    private TestNetwork tn;
    private TapTransport transport;
    private FileDescriptor peer;
    private ByteBuf readBuf;

    @BeforeEach
    void attach() throws Exception {
        attach(false);
        readBuf = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
    }

    /** A network on a fresh socket pair whose jslirp end is the "tap", with or without virtio-net headers. */
    private void attach(boolean vnetHeader) throws Exception {
        int[] sv = new int[2];
        Native.load("c", Pair.class).socketpair(Pair.AF_UNIX, Pair.SOCK_DGRAM | Pair.SOCK_NONBLOCK | Pair.SOCK_CLOEXEC,
                0, sv);
        peer = new FileDescriptor(sv[1]);
        tn = new TestNetwork(IoTransport.EPOLL);
        transport = new TapTransport(tn.network(), TapOptions.tap("pair0"), BUFFERS);
        transport.attach((IoEventLoop) tn.network().eventLoop(),
                TapDevice.wrap(new FileDescriptor(sv[0]), "pair0", vnetHeader), tn.network().config().mtu());
    }

    /** Replaces the plain pair by one whose messages carry a virtio-net header. */
    private void reattachWithVnetHeader() throws Exception {
        detach();
        attach(true);
    }

    private void detach() throws Exception {
        try {
            transport.close();
            tn.close();
        } finally {
            peer.close();
        }
    }

    @AfterEach
    void close() throws Exception {
        try {
            detach();
        } finally {
            readBuf.release();
        }
    }

    /** The next message from jslirp, or null if none comes within {@code timeout}. */
    private byte[] receive(Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        do {
            int n = peer.readAddress(readBuf.memoryAddress(), 0, readBuf.capacity());
            if (n > 0) {
                byte[] b = new byte[n];
                readBuf.getBytes(0, b);
                return b;
            }
            Thread.sleep(5);
        } while (System.nanoTime() < end);
        return null;
    }

    private void sendFromPeer(byte[] frame) throws Exception {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(frame.length).writeBytes(frame);
        try {
            assertThat(peer.writeAddress(b.memoryAddress(), 0, frame.length)).isEqualTo(frame.length);
        } finally {
            b.release();
        }
    }

    @Test
    void framesFromTheTapReachTheNetworkAndAnswersGoBack() throws Exception {
        assertThat(tn.isAttached()).isTrue();
        sendFromPeer(arpRequestForGateway());
        byte[] reply = receive(WAIT);
        assertThat(reply).isNotNull();
        assertThat(isArpReplyFromGateway(reply)).isTrue();
        sendFromPeer(arpRequestForGateway());
        assertThat(isArpReplyFromGateway(receive(WAIT))).as("and the next one").isTrue();
    }

    @Test
    void aTapThatStopsTakingFramesMakesTheLinkUnwritableThenDropsThenRecovers() throws Exception {
        int sent = tn.sendToGuestUntil("the link turned unwritable", () -> !tn.isWritable());
        assertThat(tn.nextWritabilityChange(WAIT)).isFalse();
        assertThat(tn.counters().get(TransportCounter.BECAME_UNWRITABLE)).isEqualTo(1);
        // Frames that cannot wait keep coming: beyond the hard bound they are dropped.
        tn.sendFramesToGuest(40, 1514);
        sent += 40;
        long dropped = tn.counters().get(TransportCounter.QUEUE_FULL);
        assertThat(dropped).isPositive();

        int received = 0;
        while (receive(Duration.ofMillis(500)) != null) {
            received++;
        }
        assertThat(tn.nextWritabilityChange(WAIT)).as("writable again once the tap took the queue").isTrue();
        assertThat(received).as("every frame not dropped arrived").isEqualTo(sent - dropped);
        assertThat(tn.isWritable()).isTrue();
    }

    /** A frame in two direct buffers (headers and an uncopied payload) leaves as one message. */
    @Test
    void aCompositeFrameGoesOutWholeInOneWrite() throws Exception {
        byte[] payload = new byte[1000];
        new java.util.Random(3).nextBytes(payload);
        tn.network().eventLoop().submit(() -> {
            ByteBuf head = tn.network().alloc().directBuffer(FrameSink.HEADROOM + 14);
            head.setIndex(FrameSink.HEADROOM, FrameSink.HEADROOM);
            EthernetFrame.write(head, FrameSink.HEADROOM, GuestFrames.GUEST_MAC, GuestFrames.GATEWAY_MAC, 0x88b5);
            head.writerIndex(FrameSink.HEADROOM + 14);
            ByteBuf body = tn.network().alloc().directBuffer(payload.length).writeBytes(payload);
            CompositeByteBuf frame = tn.network().alloc().compositeDirectBuffer(2).addComponents(true, head, body);
            tn.network().sendFrame(frame);
        }).syncUninterruptibly();
        byte[] got = receive(WAIT);
        assertThat(got).hasSize(14 + payload.length);
        assertThat(java.util.Arrays.copyOfRange(got, 14, got.length)).isEqualTo(payload);
        assertThat(got[12]).isEqualTo((byte) 0x88);
        assertThat(receive(Duration.ofMillis(200))).as("one message, not two").isNull();
        assertThat(tn.counters().get(TransportCounter.SEND_ERRORS)).isZero();
    }

    /**
     * With virtio-net headers: frames read are stripped of theirs, and every frame
     * written gets one; an IPv4 TCP segment's says NEEDS_CSUM with where its checksum
     * lies (the network then lets the TCP NAT leave checksums partial), any other
     * frame's is zeros. Frames without headroom (heap) get theirs through the copy.
     */
    @Test
    void withVnetHeadersFramesAreStrippedOnReadAndTcpSegmentsMarkedNeedsChecksum() throws Exception {
        reattachWithVnetHeader();
        assertThat(tn.network().guestCompletesTcpChecksums()).isTrue();
        byte[] arp = arpRequestForGateway();
        byte[] withHeader = new byte[TapDevice.VNET_HEADER + arp.length];
        System.arraycopy(arp, 0, withHeader, TapDevice.VNET_HEADER, arp.length);
        sendFromPeer(withHeader);
        byte[] reply = receive(WAIT);
        assertThat(reply).isNotNull();
        assertThat(java.util.Arrays.copyOf(reply, TapDevice.VNET_HEADER)).as("an ARP reply's header").containsOnly(0);
        assertThat(isArpReplyFromGateway(java.util.Arrays.copyOfRange(reply, TapDevice.VNET_HEADER, reply.length)))
                .isTrue();

        byte[] segment = ipv4TcpFrame(6);                  // IHL 6: a header with 4 bytes of options
        tn.network().eventLoop().submit(() -> {
            ByteBuf f = tn.network().alloc().directBuffer(FrameSink.HEADROOM + segment.length);
            f.setIndex(FrameSink.HEADROOM, FrameSink.HEADROOM).writeBytes(segment);
            tn.network().sendFrame(f);
            tn.network().sendFrame(io.netty.buffer.Unpooled.wrappedBuffer(segment));
        }).syncUninterruptibly();
        for (String how : new String[] {"from the headroom", "through the copy"}) {
            byte[] got = receive(WAIT);
            assertThat(got).as(how).hasSize(TapDevice.VNET_HEADER + segment.length);
            ByteBuf h = io.netty.buffer.Unpooled.wrappedBuffer(got);
            assertThat(h.getUnsignedByte(0)).as("flags: NEEDS_CSUM, " + how).isEqualTo((short) 1);
            assertThat(h.getUnsignedByte(1)).as("gso_type: none").isZero();
            assertThat(h.getUnsignedShortLE(6)).as("csum_start: Ethernet + 24-byte IPv4 header").isEqualTo(14 + 24);
            assertThat(h.getUnsignedShortLE(8)).as("csum_offset: TCP's checksum field").isEqualTo(16);
            assertThat(java.util.Arrays.copyOfRange(got, TapDevice.VNET_HEADER, got.length)).isEqualTo(segment);
        }
        assertThat(tn.counters().get(TransportCounter.SEND_ERRORS)).isZero();
    }

    /**
     * IPv6 the same way: a segment whose TCP header follows the fixed header says
     * NEEDS_CSUM from byte 54 (Ethernet + 40); one behind an extension header was not
     * written by the core, carries its full checksum, and gets a header of zeros so the
     * guest's kernel checks it.
     */
    @Test
    void withVnetHeadersIpv6TcpSegmentsAreMarkedNeedsChecksumUnlessBehindExtensionHeaders() throws Exception {
        reattachWithVnetHeader();
        byte[] plain = bytes(GuestFrames6.tcp(GuestFrames6.HOST6, GuestFrames6.GUEST6,
                t -> t.from(80).to(40000).seq(1).ack(1).data(new byte[100])));
        // Destination options (next header TCP, 8 bytes: a PadN option of 4 bytes) before TCP.
        byte[] destinationOptions = {Ipv6Packet.NH_TCP, 0, 1, 4, 0, 0, 0, 0};
        ByteBuf seg = io.netty.buffer.Unpooled.wrappedBuffer(plain, 14 + 40, plain.length - 14 - 40);
        byte[] behindExtension = bytes(GuestFrames6.ipv6(GuestFrames6.HOST6, GuestFrames6.GUEST6,
                Ipv6Packet.NH_DESTINATION_OPTIONS, 64, destinationOptions, seg.retain()));
        seg.release();
        tn.network().eventLoop().submit(() -> {
            for (byte[] frame : new byte[][] {plain, behindExtension}) {
                ByteBuf f = tn.network().alloc().directBuffer(FrameSink.HEADROOM + frame.length);
                f.setIndex(FrameSink.HEADROOM, FrameSink.HEADROOM).writeBytes(frame);
                tn.network().sendFrame(f);
            }
            tn.network().sendFrame(io.netty.buffer.Unpooled.wrappedBuffer(plain));
        }).syncUninterruptibly();
        for (String how : new String[] {"from the headroom", "behind an extension header", "through the copy"}) {
            byte[] got = receive(WAIT);
            byte[] sent = how.startsWith("behind") ? behindExtension : plain;
            assertThat(got).as(how).hasSize(TapDevice.VNET_HEADER + sent.length);
            assertThat(java.util.Arrays.copyOfRange(got, TapDevice.VNET_HEADER, got.length)).as(how).isEqualTo(sent);
            ByteBuf h = io.netty.buffer.Unpooled.wrappedBuffer(got, 0, TapDevice.VNET_HEADER);
            if (sent == behindExtension) {
                assertThat(java.util.Arrays.copyOf(got, TapDevice.VNET_HEADER)).as(how).containsOnly(0);
                continue;
            }
            assertThat(h.getUnsignedByte(0)).as("flags: NEEDS_CSUM, " + how).isEqualTo((short) 1);
            assertThat(h.getUnsignedByte(1)).as("gso_type: none").isZero();
            assertThat(h.getUnsignedShortLE(6)).as("csum_start: Ethernet + IPv6 header").isEqualTo(14 + 40);
            assertThat(h.getUnsignedShortLE(8)).as("csum_offset: TCP's checksum field").isEqualTo(16);
        }
        assertThat(tn.counters().get(TransportCounter.SEND_ERRORS)).isZero();
    }

    /** The readable bytes of {@code b}, which is released. */
    private static byte[] bytes(ByteBuf b) {
        try {
            byte[] out = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), out);
            return out;
        } finally {
            b.release();
        }
    }

    /** An Ethernet frame with an IPv4 header of {@code ihl} words (DF, protocol TCP) and a bare 20-byte TCP header. */
    private static byte[] ipv4TcpFrame(int ihl) {
        ByteBuf b = io.netty.buffer.Unpooled.buffer();
        EthernetFrame.write(b, 0, GuestFrames.GUEST_MAC, GuestFrames.GATEWAY_MAC, EthernetFrame.TYPE_IPV4);
        b.writerIndex(14);
        b.writeByte(0x40 | ihl).writeByte(0).writeShort(ihl * 4 + 20).writeShort(0).writeShort(0x4000)
                .writeByte(64).writeByte(6).writeShort(0).writeInt(0x0a000202).writeInt(0x0a00020f);
        b.writeZero(ihl * 4 - 20);
        b.writeShort(80).writeShort(40000).writeInt(1).writeInt(0).writeShort(0x5010).writeShort(1000)
                .writeShort(0).writeShort(0);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    @Test
    void framesLongerThanTheMtuAllowsAreDroppedAndCounted() throws Exception {
        tn.sendFramesToGuest(1, 1500 + 14 + 1);
        tn.sendFramesToGuest(1, 1500 + 14);
        byte[] got = receive(WAIT);
        assertThat(got).hasSize(1514);
        assertThat(tn.counters().get(TransportCounter.OVERSIZED_TO_GUEST)).isEqualTo(1);
    }

    @Test
    void closingReleasesQueuedFramesAndEndsNormally() throws Exception {
        tn.sendToGuestUntil("frames queued", () -> !tn.isWritable());
        transport.close();
        assertThat(transport.ended().await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(transport.ended().isSuccess()).isTrue();
        assertThat(tn.isAttached()).isFalse();
        // Queued frames were released (the class's leak check); the tap keeps what it took before.
        while (receive(Duration.ofMillis(200)) != null) {
            continue;
        }
        tn.sendFramesToGuest(1, 100);
        assertThat(tn.network().stats().drops().get(DropReason.NO_TRANSPORT)).isEqualTo(1);
        assertThat(receive(Duration.ofMillis(200)) == null).as("nothing written after close").isTrue();
    }
}
