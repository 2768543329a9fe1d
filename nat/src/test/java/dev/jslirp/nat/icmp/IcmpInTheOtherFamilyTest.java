package dev.jslirp.nat.icmp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.linux.IcmpSockets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An ICMP (IPv4) echo request carried in IPv6 is an unknown protocol there: the core
 * offers it to the services without parsing its ICMP header, and the NAT leaves it.
 * Found by {@link IcmpEchoFuzzTest}: the NAT read the packet's unparsed ICMP view, a
 * NullPointerException the network counted as a service error (or, after an earlier
 * ICMPv6 packet, that packet's stale header).
 */
class IcmpInTheOtherFamilyTest {
    @Test
    void anIcmpv4EchoRequestInIpv6IsLeftToTheCore() {
        List<EmbeddedChannel> sockets = new ArrayList<>();
        IcmpNat nat = new IcmpNat(NatConfig.defaults(), IcmpSockets.Kind.PING, (t, kind, handler) -> {
            EmbeddedChannel ch = new EmbeddedChannel(handler);
            sockets.add(ch);
            return ch;
        });
        ByteBuf echo = Unpooled.buffer(16).writeByte(IcmpPacket.TYPE_ECHO_REQUEST).writeByte(0).writeShort(0)
                .writeShort(7).writeShort(1).writeLong(0);
        IcmpPacket.writeChecksum(echo, 0, 16, 0);
        try (VirtualGuest g = VirtualGuest.embedded(NetworkConfig.defaults(), new IcmpOnlyService(nat))) {
            g.send(GuestFrames6.ipv6(GuestFrames6.GUEST6, IpAddress.parse("2001:db8::7"), 1, 64, echo));

            assertThat(g.network().stats().drops().get(DropReason.SERVICE_ERROR)).isZero();
            assertThat(sockets).as("no session opened").isEmpty();
            g.sink().releaseAll();
        }
    }
}
