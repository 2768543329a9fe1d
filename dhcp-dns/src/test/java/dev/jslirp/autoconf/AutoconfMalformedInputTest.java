package dev.jslirp.autoconf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.dhcp.DhcpConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Router solicitations and DHCPv6 messages cut short at every length and with random bits
 * flipped, as the core's own sweep does for its views: nothing escapes as an exception,
 * nothing leaks (the leak detector runs at paranoid level), and a flood gets a bounded
 * answer.
 */
class AutoconfMalformedInputTest {
    /** Everything the services can send: a search list and a boot file. */
    static final DhcpConfig CONFIG = DhcpConfig.builder().addDnsSearch("corp.example").bootfile("pxe.efi").build();

    @Test
    void truncatedAndBitFlippedSolicitationsAndDhcpv6MessagesNeverEscapeAsExceptions() {
        List<ByteBuf> samples = List.of(
                GuestFrames6.routerSolicitation(),
                Dhcpv6Frames.informationRequest(0x123456).clientId().oro(23, 24, 59).frame(),
                new Dhcpv6Frames.Message(1, 7).clientId().option(3, new byte[12]).frame());
        try (VirtualGuest g = VirtualGuest.embedded(NetworkConfig.defaults(),
                new RouterAdvertiser(CONFIG, FixedRandom.largest()), new Dhcpv6Server(CONFIG))) {
            Random rnd = new Random(9);
            for (ByteBuf s : samples) {
                byte[] raw = ByteBufUtil.getBytes(s);
                s.release();
                for (int cut = 0; cut < raw.length; cut++) {
                    g.send(Unpooled.wrappedBuffer(Arrays.copyOf(raw, cut)));
                }
                for (int i = 0; i < 2000; i++) {
                    byte[] flipped = raw.clone();
                    for (int n = 1 + rnd.nextInt(3); n > 0; n--) {
                        flipped[rnd.nextInt(flipped.length)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    g.send(Unpooled.wrappedBuffer(flipped));
                }
                g.advance(Duration.ofSeconds(4));
                g.sink().releaseAll();
            }
            assertThat(g.network().stats().drops().get(DropReason.SERVICE_ERROR)).isZero();
        }
    }

    @Test
    void aFloodOfValidMessagesIsAnsweredBoundedly() {
        try (VirtualGuest g = VirtualGuest.embedded(NetworkConfig.defaults(),
                new RouterAdvertiser(CONFIG, FixedRandom.smallest()), new Dhcpv6Server(CONFIG))) {
            int advertisements = 0;
            for (int i = 0; i < 100_000; i++) {
                g.network().receiveFromGuest(GuestFrames6.routerSolicitation());
                if (i % 1000 == 999) {
                    g.advance(Duration.ofMillis(100));     // 10 s in all
                    for (ByteBuf f = g.sink().poll(); f != null; f = g.sink().poll()) {
                        advertisements++;
                        f.release();
                    }
                }
            }
            // One at once (the smallest delay), then one per MIN_DELAY_BETWEEN_RAS: at 0, 3, 6 and 9 s.
            assertThat(advertisements).isEqualTo(4);
            assertThat(g.network().stats().service("ra", RaCounter.class).get(RaCounter.SOLICITATIONS_COALESCED))
                    .isEqualTo(100_000 - 5);     // the fifth waits for 12 s
        }
    }
}
