package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.nat.EpollTestChannels;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.core.testkit.GuestFrames;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How host sockets are read, on both I/O transports the CLI can run: reads sized by the
 * room a flow has, and what happens when the host half-closes while that room is gone
 * (Netty's epoll transport then reads the socket to its end whatever the allocator says).
 */
class TcpHostReadTest {
    private static final int BUFFER = 64 << 10;

    /** A rig on the named transport, {@code nio} or {@code epoll}. */
    private static LoopbackRig rig(String io, NatConfig cfg) {
        boolean epoll = io.equals("epoll");
        if (epoll) {
            EpollTestChannels.ensureAvailable();
        }
        return new LoopbackRig(cfg, NetworkConfig.defaults(), epoll);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nio", "epoll"})
    void hostHalfCloseWithTheBufferFullDrainsInLargeReads(String io) throws Exception {
        NatConfig cfg = NatConfig.builder().tcpBufferBytes(BUFFER).build();
        try (LoopbackRig r = rig(io, cfg);
             ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            // Our buffer's worth and half as much again: the rest fits the kernel's receive
            // buffer, so the host's FIN arrives while our buffer is full.
            byte[] data = TestBytes.random(BUFFER + BUFFER / 2, 21);
            CompletableFuture<Void> written = new CompletableFuture<>();
            Thread peer = new Thread(() -> {
                try (SocketChannel s = server.accept()) {
                    s.write(ByteBuffer.wrap(data));
                    s.shutdownOutput();
                    written.complete(null);
                    s.read(ByteBuffer.allocate(1));     // until the guest closes
                } catch (Exception e) {
                    written.completeExceptionally(e);
                }
            }, "host-peer");
            peer.setDaemon(true);
            peer.start();

            GuestTcp c = r.conn(((InetSocketAddress) server.getLocalAddress()).getPort());
            c.window = 8;                               // 8 << 7: 1 KiB, so jslirp's buffer fills
            c.connect();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            got.write(c.receive(1024));
            written.get(10, TimeUnit.SECONDS);
            Thread.sleep(300);                          // the loop sees the half-close

            int buffers = r.onLoop(() -> r.nat.stackForTests().table.snapshot().get(0).snd.buffer.buffers());
            assertThat(buffers).as("buffers held; %s", r.dump()).isLessThan(1000);
            assertThat(r.onLoop(r.nat::bufferedBytes)).as("memory held; %s", r.dump())
                    .isLessThanOrEqualTo(BUFFER + r.count(TcpCounter.HOST_READ_PAST_BUFFER));

            c.window = 65535;
            try {
                got.write(c.receive(data.length - 1024));
            } catch (AssertionError e) {
                throw new AssertionError(r.dump(), e);
            }
            assertThat(LoopbackRig.sha256(got.toByteArray())).isEqualTo(LoopbackRig.sha256(data));
            c.expectFin();
            c.fin();
            c.expectAck();
            assertThat(r.count(TcpCounter.BYTES_TO_GUEST)).isEqualTo(data.length);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nio", "epoll"})
    void hostWriteAndCloseDuringTheHandshakeReachTheGuest(String io) throws Exception {
        try (LoopbackRig r = rig(io, NatConfig.defaults())) {
            java.net.ServerSocket server = r.listen();
            CompletableFuture<Void> peer = r.serve(server, s -> {
                s.getOutputStream().write("banner".getBytes());
                s.shutdownOutput();
                s.getInputStream().read();              // until the guest closes
                return null;
            });
            GuestTcp c = r.conn(server.getLocalPort());
            c.syn();
            c.synAck();
            Thread.sleep(300);                          // the host's data and FIN arrive meanwhile
            c.ack();
            assertThat(new String(c.receive(6))).isEqualTo("banner");
            c.expectFin();
            c.fin();
            c.expectAck();
            peer.get(5, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nio", "epoll"})
    void forwardedClientThatWritesAndClosesBeforeTheGuestAnswersIsHeard(String io) throws Exception {
        NatConfig cfg = NatConfig.builder().addForward("tcp:127.0.0.1:0-:22").build();
        try (LoopbackRig r = rig(io, cfg)) {
            r.g.send(GuestFrames.arpRequest(GuestFrames.GATEWAY));     // the guest makes itself known
            r.g.expectFrame().release();
            int port = r.forwards().get(0).listening().getPort();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                client.getOutputStream().write("hello".getBytes());
                client.shutdownOutput();
                Seg syn = Seg.parse(r.g.expectFrame(Duration.ofSeconds(5)));
                Thread.sleep(300);                                      // the client's data and FIN arrive
                GuestTcp c = GuestTcp.answering(r.g, syn);
                c.synAckBack();
                assertThat(new String(c.receive(5))).isEqualTo("hello");
                c.expectFin();
                c.fin();
                client.setSoTimeout(5000);
                assertThat(client.getInputStream().read()).as("EOF at the host client").isEqualTo(-1);
            }
        }
    }

    /**
     * Host channels read into the guest's pooled allocator, connected and accepted alike:
     * Netty 4.2's default allocator served 64 KiB reads with new, zeroed, unpooled buffers.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nio", "epoll"})
    void hostChannelsReadIntoTheGuestsAllocator(String io) throws Exception {
        NatConfig cfg = NatConfig.builder().addForward("tcp:127.0.0.1:0-:22").build();
        try (LoopbackRig r = rig(io, cfg)) {
            java.net.ServerSocket server = r.listen();
            CompletableFuture<Void> peer = r.serve(server, s -> {
                s.getOutputStream().write("banner".getBytes());
                s.getInputStream().read();              // until the guest closes
                return null;
            });
            GuestTcp out = r.conn(server.getLocalPort());
            out.connect();
            assertThat(new String(out.receive(6))).isEqualTo("banner");

            r.g.send(GuestFrames.arpRequest(GuestFrames.GATEWAY));     // the guest makes itself known
            r.g.expectFrame().release();
            int port = r.forwards().get(0).listening().getPort();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                GuestTcp in = GuestTcp.answering(r.g, Seg.parse(r.g.expectFrame(Duration.ofSeconds(5))));
                in.synAckBack();
                java.util.List<io.netty.buffer.ByteBufAllocator> allocators = r.onLoop(() -> {
                    java.util.List<io.netty.buffer.ByteBufAllocator> l = new java.util.ArrayList<>();
                    for (TcpFlow f : r.nat.stackForTests().table.snapshot()) {
                        l.add(((NettyHostSocket) f.host.socketForTests()).channel().config().getAllocator());
                    }
                    return l;
                });
                assertThat(allocators).hasSize(2).allSatisfy(a -> assertThat(a).isSameAs(r.g.network().alloc()));
            }
            out.fin();
            peer.get(5, TimeUnit.SECONDS);
        }
    }
}
