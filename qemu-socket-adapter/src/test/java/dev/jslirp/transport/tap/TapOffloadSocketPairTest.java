package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Native;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TestNetwork;
import dev.jslirp.transport.TransportCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoEventLoop;
import io.netty.channel.unix.FileDescriptor;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The tap link with offloads on, a unix datagram socket pair standing in for the tap
 * (it carries virtio-net headers like one; the TUNSETOFFLOAD ioctl itself is left out):
 * super-frames from the "namespace" are taken, partial checksums completed, and frames
 * over the MTU that are not TCP super-frames dropped; TCP segments over the MTU go out
 * as GSO super-frames with the fields the kernel needs to cut them. Needs no root.
 */
class TapOffloadSocketPairTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final int MTU = 1500;
    private static final int HDR = VirtioNetHeader.LENGTH;

    private TestNetwork tn;
    private TapTransport transport;
    private FileDescriptor peer;
    private final ByteBuf readBuf = PooledByteBufAllocator.DEFAULT.directBuffer(70_000);

    private void attach(boolean offload) throws Exception {
        int[] sv = new int[2];
        TapLinkSocketPairTest.Pair pair = Native.load("c", TapLinkSocketPairTest.Pair.class);
        pair.socketpair(TapLinkSocketPairTest.Pair.AF_UNIX, TapLinkSocketPairTest.Pair.SOCK_DGRAM
                | TapLinkSocketPairTest.Pair.SOCK_NONBLOCK | TapLinkSocketPairTest.Pair.SOCK_CLOEXEC, 0, sv);
        peer = new FileDescriptor(sv[1]);
        tn = new TestNetwork(IoTransport.EPOLL);
        transport = new TapTransport(tn.network(), TapOptions.tap("pair0"), LinkBuffers.DEFAULT);
        transport.attach((IoEventLoop) tn.network().eventLoop(),
                TapDevice.wrap(new FileDescriptor(sv[0]), "pair0", true), MTU, offload);
    }

    @AfterEach
    void close() throws Exception {
        try {
            if (transport != null) {
                transport.close();
                tn.close();
            }
        } finally {
            if (peer != null) {
                peer.close();
            }
            readBuf.release();
        }
    }

    /**
     * A TCP/IPv4 frame from the guest to the gateway with {@code dataLength} bytes of
     * data, its checksum field holding only the pseudo-header sum (as the kernel hands
     * over a segment it did not sum).
     */
    private static ByteBuf partialTcpFrame(int dataLength) {
        ByteBuf frame = GuestFrames.tcp(GuestFrames.GATEWAY, t -> t.seq(1).ack(1).data(new byte[dataLength]));
        int tcp = EthernetFrame.HEADER_LENGTH + 20;
        long pseudo = Checksums.pseudoHeader(GuestFrames.GUEST_IP, GuestFrames.GATEWAY, 6, frame.readableBytes() - tcp);
        frame.setShort(frame.readerIndex() + tcp + TcpPacket.CHECKSUM, Checksums.fold(pseudo));
        return frame;
    }

    /** Sends {@code frame} (released) to jslirp behind the virtio-net header given. */
    private void sendFromPeer(ByteBuf frame, int flags, int gsoType, int gsoSize) throws Exception {
        int tcp = EthernetFrame.HEADER_LENGTH + 20;
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(HDR + frame.readableBytes());
        try {
            b.writeZero(HDR).writeBytes(frame);
            VirtioNetHeader.write(b, 0, flags, gsoType, tcp + 20, gsoSize, tcp, TcpPacket.CHECKSUM);
            assertThat(peer.writeAddress(b.memoryAddress(), 0, b.readableBytes())).isEqualTo(b.readableBytes());
        } finally {
            b.release();
            frame.release();
        }
    }

    private long drops(DropReason r) {
        return tn.network().stats().drops().get(r);
    }

    private long tap(TapCounter c) {
        return tn.network().stats().service("tap", TapCounter.class).get(c);
    }

    private long framesFromGuest() {
        return tn.network().stats().traffic().get(NetworkStats.Traffic.FRAMES_FROM_GUEST);
    }

    /** The next message from jslirp, or null if none comes within {@code timeout}. */
    private ByteBuf receive(Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        do {
            int n = peer.readAddress(readBuf.memoryAddress(), 0, readBuf.capacity());
            if (n > 0) {
                return readBuf.setIndex(0, n);
            }
            Thread.sleep(5);
        } while (System.nanoTime() < end);
        return null;
    }

    @Test
    void aTcpSuperFrameWithAPartialChecksumIsCompletedAndReachesTheServices() throws Exception {
        attach(true);
        sendFromPeer(partialTcpFrame(20_000), VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 1460);
        // The test network's only service takes nothing: a segment that passed every
        // check is dropped as NO_SERVICE, one whose checksum failed as TCP_BAD_CHECKSUM.
        TestNetwork.await("the super-frame handled", WAIT, () -> drops(DropReason.NO_SERVICE) == 1);
        assertThat(drops(DropReason.TCP_BAD_CHECKSUM)).isZero();
        assertThat(tap(TapCounter.GSO_FRAMES_IN)).isEqualTo(1);
    }

    @Test
    void aPartialChecksumOfAnOrdinaryFrameIsCompletedToo() throws Exception {
        attach(true);
        sendFromPeer(partialTcpFrame(100), VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0);
        TestNetwork.await("the frame handled", WAIT, () -> drops(DropReason.NO_SERVICE) == 1);
        assertThat(drops(DropReason.TCP_BAD_CHECKSUM)).isZero();
        assertThat(tap(TapCounter.GSO_FRAMES_IN)).isZero();
    }

    @Test
    void aFrameOverTheMtuThatIsNoSuperFrameIsDroppedAndCounted() throws Exception {
        attach(true);
        sendFromPeer(partialTcpFrame(3000), VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0);
        sendFromPeer(partialTcpFrame(3000), VirtioNetHeader.F_NEEDS_CSUM, 3 /* UDP */, 1460);
        TestNetwork.await("both dropped", WAIT, () -> tap(TapCounter.OVERSIZED_FRAMES) == 1
                && tap(TapCounter.BAD_VNET_HEADERS) == 1);
        assertThat(framesFromGuest()).as("nothing reached the network").isZero();
    }

    /**
     * The network skips verifying only the checksum the link completed: a header that
     * pointed the completion elsewhere (here at the TCP source port) leaves the TCP
     * checksum partial, and the network's check catches it.
     */
    @Test
    void aCompletionThatMissedTheTransportChecksumLeavesItToBeChecked() throws Exception {
        attach(true);
        ByteBuf frame = partialTcpFrame(100);
        int tcp = EthernetFrame.HEADER_LENGTH + 20;
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(HDR + frame.readableBytes());
        try {
            b.writeZero(HDR).writeBytes(frame);
            VirtioNetHeader.write(b, 0, VirtioNetHeader.F_NEEDS_CSUM, 0, 0, 0, tcp, 0);
            peer.writeAddress(b.memoryAddress(), 0, b.readableBytes());
        } finally {
            b.release();
            frame.release();
        }
        TestNetwork.await("dropped by the check", WAIT, () -> drops(DropReason.TCP_BAD_CHECKSUM) == 1);
        assertThat(drops(DropReason.NO_SERVICE)).isZero();
    }

    @Test
    void aChecksumPositionOutsideTheFrameIsDroppedAndCounted() throws Exception {
        attach(true);
        ByteBuf frame = partialTcpFrame(10);
        int length = frame.readableBytes();
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(HDR + length);
        try {
            b.writeZero(HDR).writeBytes(frame);
            VirtioNetHeader.write(b, 0, VirtioNetHeader.F_NEEDS_CSUM, 0, 0, 0, length - 10, 16);
            peer.writeAddress(b.memoryAddress(), 0, b.readableBytes());
        } finally {
            b.release();
            frame.release();
        }
        TestNetwork.await("dropped", WAIT, () -> tap(TapCounter.BAD_VNET_HEADERS) == 1);
        assertThat(framesFromGuest()).isZero();
    }

    @Test
    void withoutOffloadsAFrameOverTheMtuIsCutByTheReadAndDropped() throws Exception {
        attach(false);
        sendFromPeer(partialTcpFrame(3000), VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 1460);
        TestNetwork.await("dropped", WAIT, () -> tap(TapCounter.TRUNCATED_FRAMES) == 1);
        assertThat(framesFromGuest()).isZero();
    }

    /** A TCP segment of the network's over the MTU, with the headroom it leaves. */
    private void sendToGuest(ByteBuf frame) {
        tn.network().eventLoop().submit(() -> {
            ByteBuf f = tn.network().alloc().directBuffer(FrameSink.HEADROOM + frame.readableBytes());
            f.setIndex(FrameSink.HEADROOM, FrameSink.HEADROOM).writeBytes(frame);
            tn.network().sendFrame(f);
        }).syncUninterruptibly();
        frame.release();
    }

    @Test
    void aTcpSegmentOverTheMtuGoesOutAsASuperFrameCutAtTheMtu() throws Exception {
        attach(true);
        assertThat(tn.network().eventLoop().submit(() -> tn.network().port().maxTcpSegment())
                .syncUninterruptibly().getNow()).isEqualTo(TapFrameSink.MAX_TCP_SEGMENT);
        ByteBuf segment = GuestFrames.from(GuestFrames.GATEWAY_MAC, GuestFrames.GUEST_MAC,
                GuestFrames.tcp(GuestFrames.GATEWAY, GuestFrames.GUEST_IP,
                        t -> t.seq(1).ack(1).timestamp(1, 2).data(new byte[10_000])));
        int length = segment.readableBytes();
        sendToGuest(segment);
        ByteBuf got = receive(WAIT);
        assertThat(got).isNotNull();
        assertThat(got.readableBytes()).isEqualTo(HDR + length);
        int tcp = EthernetFrame.HEADER_LENGTH + 20;
        assertThat(VirtioNetHeader.flags(got, 0)).isEqualTo(VirtioNetHeader.F_NEEDS_CSUM);
        assertThat(VirtioNetHeader.gsoType(got, 0)).isEqualTo(VirtioNetHeader.GSO_TCPV4);
        assertThat(VirtioNetHeader.gsoSize(got, 0)).as("the MTU less IPv4, TCP and timestamps")
                .isEqualTo(MTU - 20 - 32);
        assertThat(VirtioNetHeader.hdrLen(got, 0)).isEqualTo(tcp + 32);
        assertThat(VirtioNetHeader.csumStart(got, 0)).isEqualTo(tcp);
        assertThat(VirtioNetHeader.csumOffset(got, 0)).isEqualTo(TcpPacket.CHECKSUM);
        assertThat(tap(TapCounter.GSO_FRAMES_OUT)).isEqualTo(1);
    }

    @Test
    void aFrameOverTheMtuThatIsNotTcpIsDroppedAndCounted() throws Exception {
        attach(true);
        ByteBuf datagram = GuestFrames.from(GuestFrames.GATEWAY_MAC, GuestFrames.GUEST_MAC,
                GuestFrames.udp(GuestFrames.GATEWAY, 53, GuestFrames.GUEST_IP, 5353, new byte[3000]));
        sendToGuest(datagram);
        assertThat(receive(Duration.ofMillis(300))).isNull();
        assertThat(tn.counters().get(TransportCounter.OVERSIZED_TO_GUEST)).isEqualTo(1);
    }

    @Test
    void withoutOffloadsNoSuperSegmentIsOfferedOrSent() throws Exception {
        attach(false);
        assertThat(tn.network().eventLoop().submit(() -> tn.network().port().maxTcpSegment())
                .syncUninterruptibly().getNow()).isZero();
        sendToGuest(GuestFrames.from(GuestFrames.GATEWAY_MAC, GuestFrames.GUEST_MAC,
                GuestFrames.tcp(GuestFrames.GATEWAY, GuestFrames.GUEST_IP, t -> t.seq(1).data(new byte[3000]))));
        assertThat(receive(Duration.ofMillis(300))).isNull();
        assertThat(tn.counters().get(TransportCounter.OVERSIZED_TO_GUEST)).isEqualTo(1);
    }
}
