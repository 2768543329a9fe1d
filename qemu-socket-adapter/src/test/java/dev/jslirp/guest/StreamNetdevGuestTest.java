package dev.jslirp.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness with a backend the test provides, as jslirp's end-to-end tests will use it: QEMU's
 * {@code -netdev stream} connects to a unix socket the test listens on, and the test plays the
 * network itself, answering the guest's ARP request for 10.0.2.2 with a MAC of its own. Also
 * checks that {@code pcap(...)} records the exchange.
 */
class StreamNetdevGuestTest {
    /** A locally administered MAC no real network uses, so a reply with it can only be ours. */
    private static final byte[] TEST_GATEWAY_MAC = HexFormat.ofDelimiter(":").parseHex("02:00:00:00:00:01");
    private static final byte[] GATEWAY_IP = {10, 0, 2, 2};
    private static final int ETHERTYPE_ARP = 0x0806;

    @Test
    void guestArpOverStreamSocketIsAnsweredByTheTest(@TempDir Path tmp) throws Exception {
        Path socket = HostSockets.tempUnixSocketPath("harness");
        Path pcap = tmp.resolve("arp.pcap");
        AtomicInteger repliesSent = new AtomicInteger();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            // QEMU connects while it starts, before the guest boots; accept in the background.
            Thread network = new Thread(() -> answerArp(server, repliesSent), "test-network");
            network.setDaemon(true);
            network.start();
            try (QemuGuest guest = QemuGuest.builder()
                    .name("stream")
                    .netdev("stream,id=n0,server=off,addr.type=unix,addr.path=" + socket)
                    .pcap(pcap)
                    .start()) {
                guest.runOk("ip addr add 10.0.2.15/24 dev eth0");
                guest.linkUp("eth0");

                String arping = guest.runOk("arping -c 1 -w 10 -I eth0 10.0.2.2");

                assertThat(arping).contains("[02:00:00:00:00:01]");
                assertThat(repliesSent.get()).isPositive();
            }
            network.join(5000);
        } finally {
            Files.deleteIfExists(socket);
        }
        byte[] dump = Files.readAllBytes(pcap);
        assertThat(HexFormat.of().formatHex(dump, 0, 4)).isIn("d4c3b2a1", "a1b2c3d4"); // pcap magic
        String hex = HexFormat.of().formatHex(dump);
        assertThat(hex).as("guest's ARP request in the pcap").contains("525400123456" + "0806");
        assertThat(hex).as("test's ARP reply in the pcap").contains("020000000001" + "0806");
    }

    /**
     * Reads length-prefixed frames (4-byte big-endian length, then the Ethernet frame) and
     * answers ARP requests for 10.0.2.2 until QEMU disconnects.
     */
    private static void answerArp(ServerSocketChannel server, AtomicInteger repliesSent) {
        try (SocketChannel qemu = server.accept()) {
            ByteBuffer len = ByteBuffer.allocate(4);
            while (readFully(qemu, len.clear())) {
                ByteBuffer frame = ByteBuffer.allocate(len.flip().getInt());
                if (!readFully(qemu, frame)) {
                    return;
                }
                byte[] f = frame.array();
                if (f.length >= 42 && (frame.getShort(12) & 0xffff) == ETHERTYPE_ARP && frame.getShort(20) == 1
                        && f[38] == GATEWAY_IP[0] && f[39] == GATEWAY_IP[1] && f[40] == GATEWAY_IP[2]
                        && f[41] == GATEWAY_IP[3]) {
                    byte[] reply = arpReply(f);
                    ByteBuffer out = ByteBuffer.allocate(4 + reply.length).putInt(reply.length).put(reply).flip();
                    while (out.hasRemaining()) {
                        qemu.write(out);
                    }
                    repliesSent.incrementAndGet();
                }
            }
        } catch (IOException e) {
            // QEMU went away: the test is over
        }
    }

    /** RFC 826 reply: we hold the asked-for address; addressed back to the requester. */
    private static byte[] arpReply(byte[] request) {
        ByteBuffer r = ByteBuffer.allocate(42);
        r.put(request, 6, 6).put(TEST_GATEWAY_MAC).putShort((short) ETHERTYPE_ARP);
        r.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 2);
        r.put(TEST_GATEWAY_MAC).put(GATEWAY_IP);
        r.put(request, 22, 6).put(request, 28, 4);
        return r.array();
    }

    private static boolean readFully(SocketChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                return false;
            }
        }
        return true;
    }
}
