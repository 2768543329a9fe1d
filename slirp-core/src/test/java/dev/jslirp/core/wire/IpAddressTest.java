package dev.jslirp.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressTest {

    @ParameterizedTest
    @CsvSource({
        // input, RFC 5952 text
        "10.0.2.15, 10.0.2.15",
        "fec0::2, fec0::2",
        "[fec0::3], fec0::3",
        "FEC0:0:0:0:0:0:0:2, fec0::2",
        "::, ::",
        "::1, ::1",
        "fe80::2, fe80::2",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",       // RFC 5952 4.2.3: the first of equal runs
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",    // RFC 5952 4.2.2: one zero group stays
        "2001:0db8::0001, 2001:db8::1",                  // RFC 5952 4.1: no leading zeros
        "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
        "ff02::1:ff12:3456, ff02::1:ff12:3456",
        "64:ff9b::10.0.2.2, 64:ff9b::a00:202",
    })
    void parsesAndPrintsTheCanonicalForm(String in, String text) {
        IpAddress a = IpAddress.parse(in);
        assertThat(a).hasToString(text);
        assertThat(IpAddress.parse(a.toString())).isEqualTo(a);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.256", "fec0:::2", "fec0::2::3", ":fec0::2", "fec0::2:",
        "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "fe80::1%eth0", "g::1", "1.2.3.4::", "::1.2.3"})
    void rejectsWhatIsNotAnAddress(String in) {
        assertThatThrownBy(() -> IpAddress.parse(in)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + in + "'");
    }

    @Test
    void ipv4IsHeldMappedAndComparedByHalves() {
        IpAddress a = IpAddress.parse("10.0.2.15");
        assertThat(a.isIpv4()).isTrue();
        assertThat(a.hi()).isZero();
        assertThat(a.lo()).isEqualTo(0x0000_ffff_0a00_020fL);
        assertThat(a.ipv4()).isEqualTo(Ipv4Address.parse("10.0.2.15"));
        assertThat(a.is(0, IpAddress.ipv4Lo(Ipv4Address.parse("10.0.2.15")))).isTrue();
        assertThat(IpAddress.parse("::ffff:10.0.2.15")).isEqualTo(a);
        assertThat(IpAddress.parse("fec0::2").isIpv4()).isFalse();
        assertThatThrownBy(() -> IpAddress.parse("fec0::2").ipv4()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void convertsToAndFromJdkAddresses() throws Exception {
        for (String s : new String[] {"10.0.2.2", "127.0.0.1", "fec0::2", "::1", "fe80::5054:ff:fe12:3456"}) {
            IpAddress a = IpAddress.parse(s);
            InetAddress j = a.toInetAddress();
            assertThat(IpAddress.of(j)).isEqualTo(a);
            assertThat(j).isEqualTo(InetAddress.getByName(s));
        }
    }

    @Test
    void classifiesAddresses() {
        assertThat(IpAddress.parse("127.0.0.5").isLoopback()).isTrue();
        assertThat(IpAddress.V6_LOOPBACK.isLoopback()).isTrue();
        assertThat(IpAddress.parse("224.0.0.1").isMulticast()).isTrue();
        assertThat(IpAddress.parse("ff02::1").isMulticast()).isTrue();
        assertThat(IpAddress.parse("fe80::2").isLinkLocal()).isTrue();
        assertThat(IpAddress.parse("febf::2").isLinkLocal()).isTrue();
        assertThat(IpAddress.parse("fec0::2").isLinkLocal()).isFalse();
        assertThat(IpAddress.V4_ANY.isUnspecified()).isTrue();
        assertThat(IpAddress.V6_ANY.isUnspecified()).isTrue();
        assertThat(IpAddress.parse("0.0.0.0").isIpv4()).isTrue();
    }

    @Test
    void prefixesMatchByFamilyAndLength() {
        IpAddress net = IpAddress.parse("fec0::");
        assertThat(IpAddress.parse("fec0::5054:ff:fe12:3456").inPrefix(net, 64)).isTrue();
        assertThat(IpAddress.parse("fec0:0:0:1::2").inPrefix(net, 64)).isFalse();
        assertThat(IpAddress.parse("fec0:0:0:1::2").inPrefix(net, 48)).isTrue();
        assertThat(IpAddress.parse("2001:db8::1:2").inPrefix(IpAddress.parse("2001:db8::1:0"), 112)).isTrue();
        assertThat(IpAddress.parse("2001:db8::2:2").inPrefix(IpAddress.parse("2001:db8::1:0"), 112)).isFalse();
        assertThat(IpAddress.parse("10.0.2.77").inPrefix(IpAddress.parse("10.0.2.0"), 24)).isTrue();
        assertThat(IpAddress.parse("10.0.2.77").inPrefix(net, 0)).isFalse();
        assertThat(IpAddress.parse("fec0:1:2:3:4:5:6:7").network(48)).isEqualTo(IpAddress.parse("fec0:1:2::"));
        assertThat(IpAddress.parse("fec0::").withInterfaceId(0x5054_00ff_fe12_3456L))
                .hasToString("fec0::5054:ff:fe12:3456");
    }

    @Test
    void ordersIpv4BeforeIpv6AndPrintsUriForms() {
        assertThat(IpAddress.parse("255.255.255.255")).isLessThan(IpAddress.parse("::"));
        assertThat(IpAddress.parse("fe80::1")).isLessThan(IpAddress.parse("fec0::1"));
        assertThat(IpAddress.parse("fec0::2").toUriString()).isEqualTo("[fec0::2]");
        assertThat(IpAddress.parse("10.0.2.2").toUriString()).isEqualTo("10.0.2.2");
    }

    @Test
    void pseudoHeadersOfBothFamilies() {
        IpAddress a = IpAddress.parse("10.0.2.15");
        IpAddress b = IpAddress.parse("10.0.2.2");
        assertThat(Checksums.pseudoHeader(a, b, 17, 100)).isEqualTo(Checksums.pseudoHeader(a.ipv4(), b.ipv4(), 17, 100));
        // IPv6: the words of both addresses, the 32-bit length and the next header (RFC 8200 8.1)
        IpAddress s = IpAddress.parse("fec0::1:2");
        IpAddress d = IpAddress.parse("fe80::3");
        long expected = 0xfec0 + 1 + 2 + 0xfe80 + 3 + 1 + 0x0002 + 58;   // length 0x10002
        assertThat(Checksums.pseudoHeader(s, d, 58, 0x10002)).isEqualTo(expected);
    }
}
