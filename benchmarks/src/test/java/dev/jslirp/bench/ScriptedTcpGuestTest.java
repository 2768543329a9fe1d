package dev.jslirp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TCP benchmark's scripted guest against the core's own checks (checksums, header
 * and option parsing) on an {@link EmbeddedNetwork}: what it sends must pass them, with
 * the sequence numbers a guest's stack would use, and it must follow the segments it
 * is sent. The NAT's side is played by frames the test builds, from the host address.
 * Once per family.
 */
@ParameterizedClass(name = "ipv6={0}")
@ValueSource(booleans = {false, true})
class ScriptedTcpGuestTest {
    private static final int GUEST_PORT = 40001;
    private static final int HOST_PORT = 5001;
    private static final int SERVER_ISS = 0x7000_0000;
    private static final int BATCH = 4;
    private static final int PAYLOAD = 100;

    /** A segment as the network passed it on, checksum and all verified. */
    private record Seen(int flags, int seq, int ack, int payload, int mss, int windowScale) {
    }

    @Parameter
    boolean ipv6;

    private final List<Seen> seen = new ArrayList<>();
    private EmbeddedNetwork net;
    private ScriptedTcpGuest guest;

    @BeforeEach
    void start() {
        net = new EmbeddedNetwork(new GuestService() {
            @Override
            public boolean handle(GuestPacket p) {
                if (p.protocol() != Ipv4Packet.PROTO_TCP || p.isIpv6() != ipv6) {
                    return false;
                }
                TcpPacket t = p.tcp();
                seen.add(new Seen(t.flags(), t.seq(), t.ack(), t.payloadLength(), p.tcpOptions().mss,
                        p.tcpOptions().windowScale));
                return true;
            }
        });
        guest = new ScriptedTcpGuest(ipv6, GUEST_PORT, HOST_PORT, BATCH, PAYLOAD);
        guest.start(net.network());
    }

    @AfterEach
    void stop() {
        guest.release();
        net.close();
    }

    /** A segment from the NAT (the host address) to the guest, shown to the guest as its sink would. */
    private void fromNat(int flags, int seq, int ack, int payload) {
        Consumer<GuestFrames.Tcp> spec = t -> t.from(HOST_PORT).to(GUEST_PORT).seq(seq).ack(ack).flags(flags)
                .data(new byte[payload]);
        ByteBuf f = ipv6 ? GuestFrames6.tcp(GuestFrames6.HOST6, GuestFrames6.GUEST6, spec)
                : GuestFrames.tcp(GuestFrames.GATEWAY, GuestFrames.GUEST_IP, spec);
        try {
            guest.inspect(f);
        } finally {
            f.release();
        }
    }

    private void handshake() {
        guest.sendSyn();
        fromNat(TcpPacket.SYN, SERVER_ISS, ScriptedTcpGuest.ISS + 1, 0);
        guest.sendHandshakeAck();
    }

    @Test
    void synCarriesTheIssMssAndWindowScaleAndPassesTheCoreChecks() {
        guest.sendSyn();
        net.checkNoDrops();
        assertThat(seen).containsExactly(new Seen(TcpPacket.SYN, ScriptedTcpGuest.ISS, 0, 0, ipv6 ? 1440 : 1460, 7));
    }

    @Test
    void synAckIsTakenAndAcknowledged() {
        handshake();
        net.checkNoDrops();
        assertThat(guest.synAcks().get()).isEqualTo(1);
        assertThat(seen).last().isEqualTo(new Seen(TcpPacket.ACK, ScriptedTcpGuest.ISS + 1, SERVER_ISS + 1, 0, -1, -1));
    }

    @Test
    void burstsCarryConsecutiveSequenceNumbersWithValidChecksums() {
        handshake();
        seen.clear();
        guest.burst().run();
        guest.burst().run();
        net.checkNoDrops();
        assertThat(seen).hasSize(2 * BATCH);
        for (int i = 0; i < seen.size(); i++) {
            Seen s = seen.get(i);
            assertThat(s.seq()).as("seq of segment %d", i).isEqualTo(ScriptedTcpGuest.ISS + 1 + i * PAYLOAD);
            assertThat(s.ack()).isEqualTo(SERVER_ISS + 1);
            assertThat(s.payload()).isEqualTo(PAYLOAD);
            assertThat(s.flags()).isEqualTo(TcpPacket.ACK | TcpPacket.PSH);
        }
    }

    @Test
    void inOrderDataIsCountedAndAcknowledgedOncePerFlush() {
        handshake();
        seen.clear();
        fromNat(TcpPacket.ACK, SERVER_ISS + 1, ScriptedTcpGuest.ISS + 1, 1000);
        fromNat(TcpPacket.ACK, SERVER_ISS + 1001, ScriptedTcpGuest.ISS + 1, 500);
        guest.flushed();
        net.runPendingTasks();
        assertThat(guest.received().get()).isEqualTo(1500);
        assertThat(seen).containsExactly(new Seen(TcpPacket.ACK, ScriptedTcpGuest.ISS + 1, SERVER_ISS + 1501, 0, -1, -1));
        guest.flushed();
        net.runPendingTasks();
        assertThat(seen).as("nothing new, no second ACK").hasSize(1);
    }

    @Test
    void outOfOrderDataIsNotCountedButReacknowledged() {
        handshake();
        seen.clear();
        fromNat(TcpPacket.ACK, SERVER_ISS + 101, ScriptedTcpGuest.ISS + 1, 100);
        guest.flushed();
        net.runPendingTasks();
        assertThat(guest.received().get()).isZero();
        assertThat(guest.outOfOrder()).isEqualTo(1);
        assertThat(seen).containsExactly(new Seen(TcpPacket.ACK, ScriptedTcpGuest.ISS + 1, SERVER_ISS + 1, 0, -1, -1));
    }

    @Test
    void resetIsCounted() {
        handshake();
        fromNat(TcpPacket.RST, SERVER_ISS + 1, 0, 0);
        assertThat(guest.resets().get()).isEqualTo(1);
    }
}
