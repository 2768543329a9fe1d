package dev.jslirp.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.MacAddress;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** The guest's choice of source address and next hop in each family, from what DHCP and the RA said. */
class AddressingTest {
    private static final long MAC = MacAddress.parse("52:54:00:12:34:56");
    private static final long ROUTER_MAC = MacAddress.parse("52:55:0a:00:02:02");
    private final Addressing addressing = new Addressing(new FrameWriter(UnpooledByteBufAllocator.DEFAULT, MAC));

    @Test
    void onTheLinkTheDestinationIsTheNextHopElseTheRouterWhoseMacTheAdvertisementGave() {
        addressing.leased(IpAddress.parse("10.0.2.15").ipv4(), IpAddress.parse("10.0.2.2").ipv4(), 0xffffff00);
        assertThat(addressing.nextHop(ip("10.0.2.3"))).isEqualTo(ip("10.0.2.3"));
        assertThat(addressing.nextHop(ip("192.0.2.1"))).isEqualTo(ip("10.0.2.2"));

        addressing.autoconfigured(advertisement(1800));
        assertThat(addressing.nextHop(ip("fec0::2"))).as("in the on-link prefix").isEqualTo(ip("fec0::2"));
        assertThat(addressing.nextHop(ip("fe80::3"))).as("link-local").isEqualTo(ip("fe80::3"));
        assertThat(addressing.nextHop(ip("2001:db8::1"))).isEqualTo(ip("fe80::2"));
        assertThat(addressing.neighbour(ip("fe80::2"))).isEqualTo(ROUTER_MAC);

        assertThat(addressing.source(ip("10.0.2.2"))).isEqualTo(ip("10.0.2.15"));
        assertThat(addressing.source(ip("fec0::2"))).isEqualTo(ip("fec0::5054:ff:fe12:3456"));
        assertThat(addressing.source(ip("fe80::2"))).isEqualTo(ip("fe80::5054:ff:fe12:3456"));
        assertThat(addressing.isMine("fec0::5054:ff:fe12:3456")).isTrue();
        assertThat(addressing.isMine("10.0.2.15")).isTrue();
        assertThat(addressing.isMine("fec0::2")).isFalse();
    }

    @Test
    void withoutARouterLifetimeOffLinkIpv6HasNoNextHop() {
        addressing.autoconfigured(advertisement(0));
        assertThat(addressing.nextHop(ip("fec0::2"))).isEqualTo(ip("fec0::2"));
        assertThatThrownBy(() -> addressing.nextHop(ip("2001:db8::1")))
                .isInstanceOf(GuestException.class).hasMessageContaining("no IPv6 default router");
    }

    /** An advertisement as the network's, taken through the guest's frame handling so the router's MAC is learned. */
    private NeighborDiscovery.Advertisement advertisement(int routerLifetime) {
        byte[] body = new byte[12 + 8 + 32];
        body[2] = (byte) (routerLifetime >> 8);
        body[3] = (byte) routerLifetime;
        body[12] = 1;
        body[13] = 1;
        for (int i = 0; i < 6; i++) {
            body[14 + i] = (byte) (ROUTER_MAC >>> (40 - 8 * i));
        }
        body[20] = 3;
        body[21] = 4;
        body[22] = 64;
        body[23] = (byte) 0xc0;
        body[24 + 3] = 1;           // valid lifetime 1 s, preferred 0
        System.arraycopy(ip("fec0::").toIpv6Bytes(), 0, body, 36, 16);
        Frame.Icmp ra = new Frame.Icmp("fe80::2", "ff02::1", true, 134, 0, body);
        assertThat(addressing.take(new Frame("52:55:0a:00:02:02", "33:33:00:00:00:01", 0x86dd, ra, new byte[0]),
                frame -> { throw new AssertionError("a host answers no advertisement"); })).isTrue();
        return addressing.advertisement();
    }

    private static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }
}
