package dev.jslirp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.QueueSink;
import dev.jslirp.dns.DnsConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The assembled network's IPv6 autoconfiguration: the router advertisement service and the
 * DHCPv6 server are in it, ahead of the NAT, unless {@code ipv6=off}.
 */
class JslirpNetworkIpv6Test {
    /** An upstream nobody needs: nothing here is a DNS query, and nothing may reach the host's resolver. */
    private static final DnsConfig DNS = DnsConfig.builder().addUpstream("127.0.0.1:9").build();
    private static final byte[] INFORMATION_REQUEST = {11, 1, 2, 3, 0, 6, 0, 2, 0, 23};

    @Test
    void theDefaultNetworkAnswersRouterSolicitationsAndInformationRequests() {
        QueueSink sink = new QueueSink();
        try (JslirpNetwork net = JslirpNetwork.builder().dns(DNS).build()) {
            net.attach(sink);
            net.receiveFromGuest(GuestFrames6.routerSolicitation());
            ByteBuf ra = Unpooled.wrappedBuffer(next(sink));
            // Ethernet (14), IPv6 (40) with next header ICMPv6 (58), then type 134.
            assertThat(ra.getUnsignedShort(12)).isEqualTo(0x86dd);
            assertThat((int) ra.getUnsignedByte(14 + 6)).isEqualTo(58);
            assertThat((int) ra.getUnsignedByte(54)).as("a router advertisement").isEqualTo(134);

            net.receiveFromGuest(GuestFrames6.udp(GuestFrames6.GUEST6_LL, 546,
                    dev.jslirp.core.wire.IpAddress.parse("ff02::1:2"), 547, INFORMATION_REQUEST));
            ByteBuf reply = Unpooled.wrappedBuffer(next(sink));
            // IPv6 next header UDP (17), source port 547, then the DHCPv6 message type: Reply (7).
            assertThat((int) reply.getUnsignedByte(14 + 6)).isEqualTo(17);
            assertThat(reply.getUnsignedShort(54)).isEqualTo(547);
            assertThat((int) reply.getUnsignedByte(62)).as("a Reply").isEqualTo(7);
            assertThat(net.stats().services()).containsKeys("ra", "dhcpv6");
        }
        sink.releaseAll();
    }

    @Test
    void ipv6OffHasNeitherServiceAndTheCoreDropsIpv6() {
        QueueSink sink = new QueueSink();
        try (JslirpNetwork net = JslirpNetwork.builder().network(NetworkConfig.builder().ipv6(false).build())
                .dns(DNS).build()) {
            net.attach(sink);
            net.receiveFromGuest(GuestFrames6.routerSolicitation());
            assertThat(sink.poll(Duration.ofSeconds(1).toMillis())).isNull();
            assertThat(net.stats().services()).doesNotContainKeys("ra", "dhcpv6");
            assertThat(net.stats().drops().get(DropReason.IPV6_UNSUPPORTED)).isEqualTo(1);
        }
    }

    /** The next frame to the guest, copied (the frame is released). */
    private static byte[] next(QueueSink sink) {
        ByteBuf f = sink.poll(5000);
        assertThat(f).as("a frame to the guest").isNotNull();
        try {
            return io.netty.buffer.ByteBufUtil.getBytes(f);
        } finally {
            f.release();
        }
    }
}
