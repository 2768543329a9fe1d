package dev.jslirp.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NetworkConfigTest {
    @Test
    void defaultsAreQemus() {
        NetworkConfig c = NetworkConfig.defaults();
        assertThat(c.toString()).isEqualTo("net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,dhcpstart=10.0.2.15,mtu=1500"
                + ",ipv6-net=fec0::/64,ipv6-host=fec0::2,ipv6-dns=fec0::3");
        assertThat(Ipv4Address.toString(c.broadcast())).isEqualTo("10.0.2.255");
        assertThat(c.gatewayMac()).isEqualTo(0x52550a000202L);
        assertThat(c.hostLoopback()).isTrue();
    }

    @Test
    void addressesFollowTheNetworkUnlessSet() {
        NetworkConfig c = NetworkConfig.builder().net("192.168.76.0/24").build();
        assertThat(Ipv4Address.toString(c.host())).isEqualTo("192.168.76.2");
        assertThat(Ipv4Address.toString(c.dns())).isEqualTo("192.168.76.3");
        assertThat(Ipv4Address.toString(c.dhcpStart())).isEqualTo("192.168.76.15");
    }

    @Test
    void netAcceptsADottedMaskAndABareClassfulAddress() {
        assertThat(NetworkConfig.builder().net("10.1.0.0/255.255.0.0").build().prefixLength()).isEqualTo(16);
        assertThat(NetworkConfig.builder().net("192.168.5.0").build().prefixLength()).isEqualTo(24);
    }

    @Test
    void toBuilderKeepsEverySetting() throws Exception {
        NetworkConfig c = NetworkConfig.builder().net("192.168.76.0/24").host("192.168.76.9").dns("192.168.76.8")
                .dhcpStart("192.168.76.100").mtu(9000).restrict(true).reassemblyLimits(4096, 3, Duration.ofSeconds(7))
                .ipv6Net("fd00:1::/64").ipv6Host("fd00:1::9").ipv6Dns("fd00:1::8").ipv4(false).build();
        NetworkConfig copy = c.toBuilder().build();
        // Every value the configuration exposes: a field toBuilder forgets shows here.
        for (Method m : NetworkConfig.class.getMethods()) {
            if (m.getParameterCount() == 0 && m.getDeclaringClass() == NetworkConfig.class
                    && !Modifier.isStatic(m.getModifiers()) && !m.getName().equals("toBuilder")) {
                assertThat(m.invoke(copy)).as(m.getName()).isEqualTo(m.invoke(c));
            }
        }
        assertThat(c.toBuilder().mtu(1500).build().mtu()).as("a copy can still be changed").isEqualTo(1500);
        assertThat(c.mtu()).isEqualTo(9000);
    }

    @Test
    void restrictTurnsHostLoopbackOff() {
        assertThat(NetworkConfig.builder().restrict(true).build().hostLoopback()).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "net=10.0.2.0/33;                 net;       8..30",
        "net=10.0.2.0/255.0.255.0;        net;       non-contiguous",
        "net=banana;                      net;       a.b.c.d/len",
        "host=10.0.3.2;                   host;      not inside net",
        "dns=10.0.2.2;                    dns;       host address",
        "dhcpstart=10.0.2.255;            dhcpstart; broadcast",
        "dhcpstart=10.0.2.x;              dhcpstart; a.b.c.d",
        "mtu=100;                         mtu;       576..65520",
    })
    void badValuesNameTheOptionAndTheAcceptedForm(String setting, String option, String hint) {
        String[] kv = setting.split("=", 2);
        assertThatThrownBy(() -> {
            NetworkConfig.Builder b = NetworkConfig.builder();
            switch (kv[0]) {
                case "net": b.net(kv[1]); break;
                case "host": b.host(kv[1]); break;
                case "dns": b.dns(kv[1]); break;
                case "dhcpstart": b.dhcpStart(kv[1]); break;
                case "mtu": b.mtu(Integer.parseInt(kv[1])); break;
                default: throw new IllegalStateException(kv[0]);
            }
            b.build();
        }).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid " + option + ":")
                .hasMessageContaining(hint)
                .satisfies(e -> assertThat(((ConfigException) e).option()).isEqualTo(option));
    }

    @Test
    void serviceAddressesAreTheNetworksOwnAndSurviveToBuilder() {
        NetworkConfig net = NetworkConfig.builder()
                .addServiceAddress(IpAddress.parse("10.0.2.4"), "smbserver")
                .addServiceAddress(IpAddress.parse("fec0::4"), "guestfwd")
                .addServiceAddress(IpAddress.parse("10.0.2.4"), "guestfwd")
                .build();

        assertThat(net.serviceAddresses()).extracting(IpAddress::toString).containsExactly("10.0.2.4", "fec0::4");
        assertThat(net.isOwnAddress(Ipv4Address.parse("10.0.2.4"))).isTrue();
        IpAddress v6 = IpAddress.parse("fec0::4");
        assertThat(net.isOwnAddress(v6.hi(), v6.lo())).isTrue();
        assertThat(net.isOwnAddress(Ipv4Address.parse("10.0.2.5"))).isFalse();
        assertThat(net.toBuilder().build().serviceAddresses()).isEqualTo(net.serviceAddresses());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "10.0.3.4;   not inside net",
        "10.0.2.255; broadcast",
        "10.0.2.2;   host address",
        "10.0.2.3;   DNS address",
        "10.0.2.15;  first DHCP address",
        "fec1::4;    not inside ipv6-net",
        "fec0::2;    IPv6 host address",
    })
    void serviceAddressesThatDoNotFitNameTheirOption(String address, String hint) {
        assertThatThrownBy(() -> NetworkConfig.builder().addServiceAddress(IpAddress.parse(address), "guestfwd").build())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid guestfwd:")
                .hasMessageContaining(hint);
    }

    @Test
    void serviceAddressOfAFamilyTheNetworkDoesNotServeIsRefused() {
        assertThatThrownBy(() -> NetworkConfig.builder().ipv6(false)
                .addServiceAddress(IpAddress.parse("fec0::4"), "guestfwd").build())
                .hasMessageContaining("ipv6=off");
    }
}
