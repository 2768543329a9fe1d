package dev.jslirp.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The outbound address of the NAT's host sockets (slirp4netns's {@code --outbound-addr}). */
class NatConfigTest {
    private static final InetSocketAddress V4_TARGET = new InetSocketAddress("127.0.0.1", 80);

    @Test
    void withoutAnOutboundAddressSocketsAreLeftUnbound() {
        assertThat(NatConfig.defaults().outboundBinding(V4_TARGET)).isNull();
    }

    @Test
    void anOutboundAddressBindsSocketsOfItsFamilyToAnyPort() throws Exception {
        NatConfig c = NatConfig.builder().outboundAddress(InetAddress.getByName("127.0.0.2")).build();
        assertThat(c.outboundBinding(V4_TARGET)).isEqualTo(new InetSocketAddress("127.0.0.2", 0));
        assertThat(c.outboundBinding(new InetSocketAddress("::1", 80))).as("other family: unbound").isNull();
    }

    @Test
    void oneOutboundAddressPerFamilyEachBindingItsOwnFamily() throws Exception {
        NatConfig c = NatConfig.builder().outboundAddress(InetAddress.getByName("::1"))
                .outboundAddress(InetAddress.getByName("127.0.0.3"))
                .outboundAddress(InetAddress.getByName("127.0.0.2")).build();
        assertThat(c.outboundBinding(V4_TARGET)).as("the later IPv4 address replaces the earlier")
                .isEqualTo(new InetSocketAddress("127.0.0.2", 0));
        assertThat(c.outboundBinding(new InetSocketAddress("::1", 80))).isEqualTo(new InetSocketAddress("::1", 0));
        assertThat(c.outboundAddresses()).containsExactly(InetAddress.getByName("127.0.0.2"),
                InetAddress.getByName("::1"));
        assertThat(NatConfig.defaults().outboundAddresses()).isEmpty();
    }

    @Test
    void wildcardAndMulticastAreNoOutboundAddress() {
        assertThatThrownBy(() -> NatConfig.builder().outboundAddress(InetAddress.getByName("0.0.0.0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("outbound-addr");
        assertThatThrownBy(() -> NatConfig.builder().outboundAddress(InetAddress.getByName("224.0.0.1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not a unicast address");
        assertThatThrownBy(() -> NatConfig.builder().outboundAddress(InetAddress.getByName("::")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not a unicast address");
    }
}
