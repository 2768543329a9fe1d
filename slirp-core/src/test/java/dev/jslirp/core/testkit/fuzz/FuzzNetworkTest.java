package dev.jslirp.core.testkit.fuzz;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.GuestFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The fuzz harness fails on each kind of bug it is there to find, and passes a clean run. */
class FuzzNetworkTest {
    private static byte[] udpScript() {
        return FrameScript.builder().frame(GuestFrames.udp(1000, GATEWAY, 7, new byte[10])).build();
    }

    @Test
    void aServiceThatThrowsFailsTheRun() {
        GuestService throwing = p -> {
            throw new IllegalStateException("boom");
        };
        assertThatThrownBy(() -> FuzzNetwork.of(NetworkConfig.defaults(), throwing).run(udpScript()))
                .isInstanceOf(AssertionError.class).hasMessageContaining("SERVICE_ERROR");
    }

    @Test
    void aServiceThatKeepsABufferFailsTheRunWhenTheNetworkCloses() {
        List<ByteBuf> kept = new ArrayList<>();
        GuestService leaking = p -> kept.add(p.buffer().retain());
        assertThatThrownBy(() -> FuzzNetwork.of(NetworkConfig.defaults(), leaking).run(udpScript()))
                .isInstanceOf(AssertionError.class).hasMessageContaining("not released once the network closed");
        assertThat(kept).hasSize(1);
        assertThat(kept.get(0).refCnt()).as("released by the check, so it is reported once").isZero();
    }

    @Test
    void aBugLoggedAndSurvivedFailsTheRun() {
        GuestService logging = p -> {
            LoggerFactory.getLogger(FuzzNetworkTest.class).warn("bug: pretending to have caught one");
            return true;
        };
        assertThatThrownBy(() -> FuzzNetwork.of(NetworkConfig.defaults(), logging).run(udpScript()))
                .isInstanceOf(AssertionError.class).hasMessageContaining("pretending to have caught one");
    }

    /** A service that answers each packet with the frame {@code reply} makes. */
    private static GuestService sending(java.util.function.Supplier<ByteBuf> reply) {
        return new GuestService() {
            private dev.jslirp.core.spi.GuestContext ctx;

            @Override
            public void start(dev.jslirp.core.spi.GuestContext context) {
                ctx = context;
            }

            @Override
            public boolean handle(GuestPacket p) {
                ctx.sendFrame(reply.get());
                return true;
            }
        };
    }

    @Test
    void aMalformedFrameToTheGuestFailsTheRun() {
        GuestService badSender = sending(() -> {
            ByteBuf reply = GuestFrames.udp(7, GuestFrames.GUEST_IP, 1000, new byte[10]);
            reply.setShort(14 + 10, reply.getUnsignedShort(14 + 10) ^ 0xffff);   // spoil the header checksum
            return reply;
        });
        assertThatThrownBy(() -> FuzzNetwork.of(NetworkConfig.defaults(), badSender).run(udpScript()))
                .isInstanceOf(AssertionError.class).hasMessageContaining("malformed frame (IPv4 header checksum)");
    }

    /** A service that answers each packet with an IPv6 UDP frame {@code spoil} has changed. */
    private static GuestService sendingIpv6(java.util.function.Consumer<ByteBuf> spoil) {
        return sending(() -> {
            ByteBuf reply = dev.jslirp.core.testkit.GuestFrames6.udp(dev.jslirp.core.testkit.GuestFrames6.HOST6, 7,
                    dev.jslirp.core.testkit.GuestFrames6.GUEST6, 1000, new byte[10]);
            spoil.accept(reply);
            return reply;
        });
    }

    @Test
    void anIpv6FrameToTheGuestWithABadChecksumFailsTheRun() {
        // offset 14 + 40 + 6: the UDP checksum, over the IPv6 pseudo-header
        GuestService bad = sendingIpv6(f -> f.setShort(60, f.getUnsignedShort(60) ^ 0x0101));
        assertThatThrownBy(() -> FuzzNetwork.of(NetworkConfig.defaults(), bad).run(udpScript()))
                .isInstanceOf(AssertionError.class).hasMessageContaining("malformed frame (checksum of protocol 17)");
    }

    @Test
    void anIpv6FrameToTheGuestWithAPayloadLengthBeyondItsBytesFailsTheRun() {
        GuestService bad = sendingIpv6(f -> f.setShort(14 + 4, f.getUnsignedShort(14 + 4) + 8));
        assertThatThrownBy(() -> FuzzNetwork.of(NetworkConfig.defaults(), bad).run(udpScript()))
                .isInstanceOf(AssertionError.class).hasMessageContaining("malformed frame (IPv6 packet: ");
    }

    @Test
    void aWellFormedIpv6FrameToTheGuestPasses() {
        FuzzNetwork n = FuzzNetwork.of(NetworkConfig.defaults(), sendingIpv6(f -> { }));
        n.run(udpScript());
        assertThat(n.framesToGuest()).isOne();
    }

    @Test
    void aTargetCheckThatFailsFailsTheRun() {
        assertThatThrownBy(() -> FuzzNetwork.of(NetworkConfig.defaults())
                .check("nothing sent", () -> "always wrong").run(udpScript()))
                .isInstanceOf(AssertionError.class).hasMessageContaining("nothing sent violated after frame 0");
    }

    @Test
    void repairedChecksumsLetAMangledEchoRequestThrough() {
        ByteBuf echo = GuestFrames.echoRequest(GATEWAY, 1, 1, new byte[8]);
        echo.setShort(14 + 10, 0x1234);                  // IPv4 header checksum
        echo.setShort(14 + 20 + 2, 0x5678);              // ICMP checksum
        byte[] bytes = ByteBufUtil.getBytes(echo);
        echo.release();
        FuzzNetwork raw = FuzzNetwork.of(NetworkConfig.defaults());
        raw.frame(bytes.clone(), false);
        assertThat(raw.network().stats().traffic().get(NetworkStats.Traffic.ECHO_REPLIES)).isZero();
        raw.close();
        FuzzNetwork repaired = FuzzNetwork.of(NetworkConfig.defaults());
        repaired.frame(bytes.clone(), true);
        assertThat(repaired.network().stats().traffic().get(NetworkStats.Traffic.ECHO_REPLIES)).isOne();
        assertThat(repaired.framesToGuest()).isOne();
        repaired.close();
    }

    @Test
    void aScriptReadsBackAsItWasWritten() {
        byte[] frame = {1, 2, 3};
        byte[] script = FrameScript.builder().frame(frame).advance(3).action(9).build();
        List<String> steps = new ArrayList<>();
        FrameScript.run(script, new FrameScript.Target() {
            @Override
            public void frame(byte[] f, boolean repaired) {
                steps.add("frame " + f.length + " " + repaired);
            }

            @Override
            public void advance(Duration d) {
                steps.add("advance " + d.toMillis());
            }

            @Override
            public void action(int arg) {
                steps.add("action " + arg);
            }
        });
        assertThat(steps).containsExactly("frame 3 true", "advance 300", "action 9");
    }

    @Test
    void aCleanRunPasses() {
        FuzzNetwork n = FuzzNetwork.of(NetworkConfig.defaults());
        n.run(FrameScript.builder().frame(GuestFrames.arpRequest(GATEWAY)).advance(1).build());
        assertThat(n.framesToGuest()).isOne();
    }
}
