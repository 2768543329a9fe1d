package dev.jslirp.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.Ipv4Address;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.UdpPacket;

/**
 * The service on a network, through a scripted guest: requests and ACKs go in as frames,
 * answers come out as frames decoded by pcap4j (checksums checked there), and the files come
 * from a real directory through the real executor.
 */
class TftpServiceTest {
    static final int GUEST_PORT = 40123;

    @TempDir
    Path dir;

    /** A UDP datagram to the guest. */
    record Datagram(int srcIp, int srcPort, int dstIp, int dstPort, int tos, TftpWire.Message message) {
    }

    static Datagram expect(VirtualGuest g) throws Exception {
        ByteBuf frame = g.expectFrame();
        try {
            byte[] bytes = ByteBufUtil.getBytes(frame);
            EthernetPacket eth = EthernetPacket.newPacket(bytes, 0, bytes.length);
            IpV4Packet ip = eth.get(IpV4Packet.class);
            assertThat(ip.getHeader().hasValidChecksum(false)).isTrue();
            UdpPacket udp = eth.get(UdpPacket.class);
            assertThat(udp.hasValidChecksum(ip.getHeader().getSrcAddr(), ip.getHeader().getDstAddr(), false))
                    .as("UDP checksum").isTrue();
            return new Datagram(Ipv4Address.fromInetAddress(ip.getHeader().getSrcAddr()),
                    udp.getHeader().getSrcPort().valueAsInt(),
                    Ipv4Address.fromInetAddress(ip.getHeader().getDstAddr()),
                    udp.getHeader().getDstPort().valueAsInt(),
                    ip.getHeader().getTos().value() & 0xff,
                    TftpWire.decode(udp.getPayload().getRawData()));
        } finally {
            frame.release();
        }
    }

    static void send(VirtualGuest g, int dstPort, byte[] message) {
        g.send(GuestFrames.udp(GUEST_PORT, GuestFrames.GATEWAY, dstPort, message));
    }

    private TftpService service;

    private VirtualGuest guest() {
        service = new TftpService(TftpConfig.builder().root(dir).build());
        return VirtualGuest.onRealLoop(NetworkConfig.defaults(), service);
    }

    @Test
    void guestDownloadsAFileFromTheHostAddress() throws Exception {
        byte[] content = TftpSessionTest.file(5000);
        Files.createDirectories(dir.resolve("pxe"));
        Files.write(dir.resolve("pxe/boot.img"), content);
        try (VirtualGuest g = guest()) {
            send(g, 69, TftpWire.rrq("pxe/boot.img", "octet", "blksize", "1448", "tsize", "0"));
            Datagram oack = expect(g);
            assertThat(oack.srcIp()).isEqualTo(GuestFrames.GATEWAY);
            assertThat(oack.dstIp()).isEqualTo(GuestFrames.GUEST_IP);
            assertThat(oack.dstPort()).isEqualTo(GUEST_PORT);
            assertThat(oack.srcPort()).isBetween(TftpServer.FIRST_PORT, 65535);
            assertThat(oack.tos()).as("IPTOS_LOWDELAY, as libslirp").isEqualTo(0x10);
            assertThat(oack.message().options()).containsExactly(Map.entry("blksize", "1448"),
                    Map.entry("tsize", "5000"));
            int tid = oack.srcPort();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            send(g, tid, TftpWire.ack(0));
            while (true) {
                Datagram d = expect(g);
                assertThat(d.srcPort()).isEqualTo(tid);
                assertThat(d.message().isData()).as("%s", d.message()).isTrue();
                got.writeBytes(d.message().data());
                send(g, tid, TftpWire.ack(d.message().block()));
                if (d.message().data().length < 1448) {
                    break;
                }
            }
            assertThat(got.toByteArray()).isEqualTo(content);
            g.expectNothing();
            Map<String, Long> stats = g.network().stats().snapshot();
            assertThat(stats).containsEntry("tftp.TRANSFERS_COMPLETED", 1L).containsEntry("tftp.BYTES_SENT", 5000L);
            g.onLoop(() -> assertThat(service.sessionCount()).isZero());
        }
    }

    @Test
    void missingFileAndEscapesGetTheirErrors() throws Exception {
        Files.writeString(dir.getParent().resolve("secret-" + dir.getFileName()), "outside");
        try (VirtualGuest g = guest()) {
            send(g, 69, TftpWire.rrq("missing", "octet"));
            TftpWire.Message e = expect(g).message();
            assertThat(e.errorCode()).isEqualTo(1);
            assertThat(e.errorMessage()).isEqualTo("File not found");
            send(g, 69, TftpWire.rrq("../secret-" + dir.getFileName(), "octet"));
            e = expect(g).message();
            assertThat(e.errorCode()).isEqualTo(2);
            assertThat(e.errorMessage()).isEqualTo("Access violation");
            send(g, 69, TftpWire.wrq("upload", "octet"));
            assertThat(expect(g).message().errorCode()).isEqualTo(2);
            g.expectNothing();
        }
    }

    @Test
    void otherUdpToTheHostIsLeftToTheNextService() throws Exception {
        Files.writeString(dir.resolve("f"), "x");
        try (VirtualGuest g = guest()) {
            send(g, 5000, TftpWire.ack(1));
            // No other service here: the core counts it as taken by nobody.
            g.expectNothing();
            assertThat(g.network().stats().drops().get(DropReason.NO_SERVICE)).isEqualTo(1);
            // UDP to port 69 of another address is not the server's either.
            g.send(GuestFrames.udp(GUEST_PORT, GuestFrames.DNS, 69, TftpWire.rrq("f", "octet")));
            g.expectNothing();
            assertThat(g.network().stats().drops().get(DropReason.NO_SERVICE)).isEqualTo(2);
        }
    }

    @Test
    void unansweredDataIsSentAgainByTheTick() throws Exception {
        Files.write(dir.resolve("f"), new byte[100]);
        try (VirtualGuest g = VirtualGuest.onRealLoop(NetworkConfig.defaults(), new TftpService(
                TftpConfig.builder().root(dir).retransmitTimeout(Duration.ofMillis(100)).maxRetransmissions(2).build()))) {
            send(g, 69, TftpWire.rrq("f", "octet"));
            Datagram first = expect(g);
            assertThat(first.message().block()).isEqualTo(1);
            Datagram again = expect(g);
            assertThat(again.srcPort()).isEqualTo(first.srcPort());
            assertThat(again.message().block()).isEqualTo(1);
            assertThat(expect(g).message().block()).isEqualTo(1);
            g.expectNothing(Duration.ofMillis(500));
            assertThat(g.network().stats().snapshot()).containsEntry("tftp.TIMEOUTS", 1L);
            // The session is gone: its port is nobody's.
            send(g, first.srcPort(), TftpWire.ack(1));
            g.expectNothing();
            assertThat(g.network().stats().drops().get(DropReason.NO_SERVICE)).isEqualTo(1);
        }
    }
}
