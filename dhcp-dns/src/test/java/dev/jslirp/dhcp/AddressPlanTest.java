package dev.jslirp.dhcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The addresses DHCP may give never include a service address of the network (a guest forward's). */
class AddressPlanTest {
    @Test
    void poolAndStaticLeasesLeaveServiceAddressesOut() {
        NetworkConfig net = NetworkConfig.builder().addServiceAddress(IpAddress.parse("10.0.2.16"), "guestfwd").build();

        AddressPlan plan = new AddressPlan(net, DhcpConfig.builder().poolSize(3).build());

        assertThat(Arrays.stream(plan.pool()).mapToObj(Ipv4Address::toString))
                .containsExactly("10.0.2.15", "10.0.2.17");
        assertThatThrownBy(() -> new AddressPlan(net,
                DhcpConfig.builder().staticLease("52:54:00:12:34:99=10.0.2.16").build()))
                .hasMessageContaining("dhcp-static");
    }
}
