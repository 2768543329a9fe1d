package dev.jslirp.transport.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.QemuStreamPeer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Where the stream transport reads QEMU's bytes: into buffers of the network's
 * allocator, so the frames (slices of those buffers) are recycled objects rather than
 * a new slice per frame, which Netty 4.2's default adaptive allocator would make.
 */
class StreamReadBuffersTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void framesFromQemuAreReadIntoBuffersOfTheNetworksAllocator(IoTransport io, String kind) throws Exception {
        ByteBufAllocator networkAlloc = new PooledByteBufAllocator(true);
        BlockingQueue<ByteBufAllocator> seen = new LinkedBlockingQueue<>();
        EventLoopGroup group = io.newEventLoopGroup(1);
        try {
            GuestNetwork network = GuestNetwork.builder(group.next())
                    .alloc(networkAlloc)
                    .hostChannels(io.hostChannels())
                    .service(new GuestService() {
                        @Override
                        public boolean handle(GuestPacket packet) {
                            seen.add(packet.frame().alloc());
                            return true;
                        }
                    })
                    .build();
            Endpoint endpoint = kind.equals("unix")
                    ? new Endpoint.Unix(dir.resolve("j.sock")) : new Endpoint.Inet("tcp", "127.0.0.1", 0);
            try (StreamServer server = new StreamServer(network, io, endpoint, LinkBuffers.DEFAULT)) {
                server.start();
                try (QemuStreamPeer qemu = QemuStreamPeer.connect(server.endpoint())) {
                    ByteBuf frame = GuestFrames.udp(40000, GuestFrames.GATEWAY, 9, new byte[64]);
                    try {
                        qemu.send(ByteBufUtil.getBytes(frame));
                    } finally {
                        frame.release();
                    }
                    assertThat(seen.poll(5, TimeUnit.SECONDS)).as("allocator of the frame's buffer")
                            .isSameAs(networkAlloc);
                }
            } finally {
                network.close().syncUninterruptibly();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
