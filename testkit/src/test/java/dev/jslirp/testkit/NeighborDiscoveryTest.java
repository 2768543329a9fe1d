package dev.jslirp.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.MacAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The guest's interface identifier, and what it takes from router advertisements and what it refuses. */
class NeighborDiscoveryTest {
    private static final long ROUTER_MAC = MacAddress.parse("52:55:0a:00:02:02");

    @Test
    void theInterfaceIdIsModifiedEui64OfTheMac() {
        // RFC 4291 appendix A: ff:fe in the middle, the universal/local bit inverted (both ways).
        assertThat(NeighborDiscovery.interfaceId(MacAddress.parse("52:54:00:12:34:56")))
                .isEqualTo(0x5054_00ff_fe12_3456L);
        assertThat(NeighborDiscovery.interfaceId(MacAddress.parse("00:1b:21:0a:0b:0c")))
                .isEqualTo(0x021b_21ff_fe0a_0b0cL);
        assertThat(NeighborDiscovery.linkLocal(MacAddress.parse("52:54:00:12:34:56")))
                .isEqualTo(IpAddress.parse("fe80::5054:ff:fe12:3456"));
    }

    @Test
    void anAdvertisementGivesRouterMacLifetimeAndTheAutonomousPrefix() {
        byte[] body = advertisement(1800, option(1, mac(ROUTER_MAC)), prefix(64, 0xc0, "fec0::"));
        NeighborDiscovery.Advertisement ra = NeighborDiscovery.read(icmp("fe80::2", body));
        assertThat(ra).isEqualTo(new NeighborDiscovery.Advertisement(IpAddress.parse("fe80::2"), ROUTER_MAC, 1800,
                IpAddress.parse("fec0::"), true));
    }

    @Test
    void aPrefixNotForSlaacIsNotTaken() {
        byte[] notAutonomous = advertisement(1800, prefix(64, 0x80, "fec0::"));
        assertThat(NeighborDiscovery.read(icmp("fe80::2", notAutonomous)).prefix()).isNull();
        byte[] notA64 = advertisement(1800, prefix(48, 0xc0, "fec0::"));
        assertThat(NeighborDiscovery.read(icmp("fe80::2", notA64)).prefix()).isNull();
        byte[] second = advertisement(0, prefix(48, 0xc0, "fec1::"), prefix(64, 0x40, "fec0:0:0:1::"));
        NeighborDiscovery.Advertisement ra = NeighborDiscovery.read(icmp("fe80::2", second));
        assertThat(ra.prefix()).isEqualTo(IpAddress.parse("fec0:0:0:1::"));
        assertThat(ra.onLink()).isFalse();
        assertThat(ra.routerMac()).as("no source link-layer option").isNegative();
    }

    @Test
    void anInvalidAdvertisementIsIgnored() {
        byte[] good = advertisement(1800, prefix(64, 0xc0, "fec0::"));
        assertThat(NeighborDiscovery.read(icmp("fec0::2", good))).as("not from a link-local address").isNull();
        byte[] zeroLengthOption = advertisement(1800, new byte[8]);
        assertThat(NeighborDiscovery.read(icmp("fe80::2", zeroLengthOption))).isNull();
        assertThat(NeighborDiscovery.read(new Frame.Icmp("fe80::2", "ff02::1", true, 134, 0, new byte[11]))).isNull();
        assertThat(NeighborDiscovery.read(new Frame.Icmp("fe80::2", "ff02::1", true, 134, 1, good))).isNull();
    }

    private static Frame.Icmp icmp(String source, byte[] body) {
        return new Frame.Icmp(source, "ff02::1", true, 134, 0, body);
    }

    /** The body after the ICMPv6 header (RFC 4861 section 4.2): hop limit, flags, lifetime, two timers, options. */
    private static byte[] advertisement(int routerLifetime, byte[]... options) {
        ByteBuffer b = ByteBuffer.allocate(512);
        b.put((byte) 64).put((byte) 0).putShort((short) routerLifetime).putInt(0).putInt(0);
        for (byte[] o : options) {
            b.put(o);
        }
        byte[] out = new byte[b.position()];
        System.arraycopy(b.array(), 0, out, 0, out.length);
        return out;
    }

    private static byte[] option(int type, byte[] data) {
        byte[] o = new byte[2 + data.length];
        o[0] = (byte) type;
        o[1] = (byte) (o.length / 8);
        System.arraycopy(data, 0, o, 2, data.length);
        return o;
    }

    private static byte[] mac(long mac) {
        return Arrays.copyOf(ByteBuffer.allocate(8).putLong(mac << 16).array(), 6);
    }

    /** A prefix information option (RFC 4861 section 4.6.2), valid 86400 s, preferred 14400 s. */
    private static byte[] prefix(int length, int flags, String prefix) {
        return ByteBuffer.allocate(32).put((byte) 3).put((byte) 4).put((byte) length).put((byte) flags)
                .putInt(86400).putInt(14400).putInt(0).put(IpAddress.parse(prefix).toIpv6Bytes()).array();
    }
}
