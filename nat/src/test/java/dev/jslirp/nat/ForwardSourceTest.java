package dev.jslirp.nat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.guestfwd.GuestForwards;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where a port forward's host client appears to come from in the guest
 * ({@link HostAddressMapper#forwardSource}): the rule alone, no traffic.
 */
class ForwardSourceTest {
    private static InetSocketAddress client(String address) throws UnknownHostException {
        return new InetSocketAddress(InetAddress.getByName(address), 40000);
    }

    private static IpAddress source(NetworkConfig net, NatConfig.ForwardSource mode, String client, boolean toIpv6)
            throws UnknownHostException {
        try (VirtualGuest g = VirtualGuest.embedded(net)) {
            return new HostAddressMapper(g.network(), mode, GuestForwards.none()).forwardSource(client(client), toIpv6);
        }
    }

    @ParameterizedTest(name = "{0} to an IPv6 guest address: {1}: {2}")
    @CsvSource({
            "198.51.100.2, false, 198.51.100.2",
            "::ffff:198.51.100.2, false, 198.51.100.2",
            "2001:db8::5, true, 2001:db8::5",
            // the host itself: the gateway, as libslirp
            "127.0.0.1, false, gateway",
            "127.0.0.2, false, gateway",
            "::1, true, gateway",
            "0.0.0.0, false, gateway",
            // a family the guest address does not have
            "198.51.100.2, true, gateway",
            "2001:db8::5, false, gateway",
            // addresses the guest would look for on its own link, or cannot answer at all
            "10.0.2.99, false, gateway",
            "10.0.2.3, false, gateway",
            "fec0::99, true, gateway",
            "fe80::1, true, gateway",
            "224.0.0.1, false, gateway",
            "255.255.255.255, false, gateway",
    })
    void clientAddressUnlessTheGuestCouldNotAnswerIt(String client, boolean toIpv6, String expected) throws Exception {
        IpAddress seen = source(NetworkConfig.defaults(), NatConfig.ForwardSource.CLIENT, client, toIpv6);

        assertThat(seen == null ? "gateway" : seen.toString()).isEqualTo(expected);
    }

    @Test
    void hostfwdSourceGatewayKeepsEveryClientBehindTheGateway() throws Exception {
        assertThat(source(NetworkConfig.defaults(), NatConfig.ForwardSource.GATEWAY, "198.51.100.2", false)).isNull();
    }

    @Test
    void restrictOnShowsTheGatewayForTheGuestHasNoRouteToAnswerOthers() throws Exception {
        NetworkConfig restricted = NetworkConfig.builder().restrict(true).build();

        assertThat(source(restricted, NatConfig.ForwardSource.CLIENT, "198.51.100.2", false)).isNull();
    }

    @Test
    void hostfwdSourceParsesItsTwoValuesAndNamesItselfOtherwise() {
        assertThat(NatConfig.ForwardSource.parse("Client")).isEqualTo(NatConfig.ForwardSource.CLIENT);
        assertThat(NatConfig.ForwardSource.parse("gateway")).isEqualTo(NatConfig.ForwardSource.GATEWAY);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NatConfig.ForwardSource.parse("real"))
                .hasMessageContaining("hostfwd-source").hasMessageContaining("client or gateway");
    }
}
