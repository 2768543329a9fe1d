package dev.jslirp.nat.icmp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.linux.IcmpSockets;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The raw ICMP socket closing by itself (a datagram channel closes on a failed read) while
 * sessions are open: their next requests go out on a new socket. Found by
 * {@link IcmpEchoFuzzTest} (input "guest link full, socket full, socket closes"): the
 * session's next request was written to the closed socket's null channel, a
 * NullPointerException the network counted as a service error.
 */
class RawSocketClosedByItselfTest {
    @Test
    void aSessionsNextRequestAfterTheRawSocketClosedGoesOutOnANewSocket() {
        List<EmbeddedChannel> sockets = new ArrayList<>();
        IcmpNat nat = new IcmpNat(NatConfig.defaults(), IcmpSockets.Kind.RAW, (t, kind, handler) -> {
            EmbeddedChannel ch = new EmbeddedChannel(handler);
            sockets.add(ch);
            return ch;
        });
        int outside = Ipv4Address.parse("192.0.2.7");
        try (VirtualGuest g = VirtualGuest.embedded(NetworkConfig.defaults(), new IcmpOnlyService(nat))) {
            g.send(GuestFrames.echoRequest(outside, 7, 1, new byte[8]));
            assertThat(sockets).hasSize(1);
            release(sockets.get(0));
            sockets.get(0).close();

            g.send(GuestFrames.echoRequest(outside, 7, 2, new byte[8]));

            assertThat(g.network().stats().drops().get(DropReason.SERVICE_ERROR)).isZero();
            assertThat(sockets).hasSize(2);
            DatagramPacket sent = sockets.get(1).readOutbound();
            assertThat(sent).as("the second request, on the new socket").isNotNull();
            assertThat(sent.content().getUnsignedShort(6)).as("its sequence number").isEqualTo(2);
            sent.release();
            g.sink().releaseAll();
        }
        sockets.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private static void release(EmbeddedChannel ch) {
        for (Object m = ch.readOutbound(); m != null; m = ch.readOutbound()) {
            io.netty.util.ReferenceCountUtil.release(m);
        }
    }
}
