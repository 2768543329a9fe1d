package dev.jslirp.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.nat.NatConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The frozen-clock mode: local services work, and what needs host sockets says so at once. */
class FrozenClockTest {
    @RegisterExtension
    final JslirpExtension jslirp = JslirpExtension.frozenClock();

    @Test
    void aLeaseNeedsNoHostSocket(Guest guest) {
        assertThat(guest.lease()).isEqualTo("10.0.2.15");
        assertThat(jslirp.network().nat()).isNull();
    }

    @Test
    void tcpAndUdpRefuseNamingTheNatInsteadOfAReset(Guest guest) {
        guest.lease();
        assertThatThrownBy(() -> guest.tcp("10.0.2.2", 22))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("frozen-clock").hasMessageContaining("the NAT")
                .hasMessageContaining("new JslirpExtension()");
        assertThatThrownBy(() -> guest.udp("10.0.2.2", 53)).hasMessageContaining("host sockets");
    }

    @Test
    void slaacWorksAndIpv6EndpointsRefuseAsIpv4OnesDo(Guest guest) {
        assertThatThrownBy(() -> guest.tcp("fec0::2", 22))
                .as("refused for the frozen clock before any address").hasMessageContaining("frozen-clock");
        assertThat(guest.autoconfigure6()).isEqualTo("fec0::5054:ff:fe12:3456");
        assertThatThrownBy(() -> guest.tcp("fec0::2", 22))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("frozen-clock").hasMessageContaining("the NAT")
                .hasMessageContaining("new JslirpExtension()");
        assertThatThrownBy(() -> guest.udp("[fec0::2]", 53)).hasMessageContaining("host sockets");
    }

    @Test
    void autoconfigurationOnANetworkWithoutIpv6SaysSo() {
        JslirpExtension v4only = JslirpExtension.frozenClock()
                .configure(b -> b.network(NetworkConfig.builder().ipv6(false).build()));
        v4only.beforeEach(null);
        try {
            assertThatThrownBy(() -> v4only.guest().autoconfigure6())
                    .isInstanceOf(GuestException.class)
                    .hasMessageContaining("no router advertisement").hasMessageContaining("ipv6=off");
        } finally {
            v4only.afterEach(null);
        }
    }

    @Test
    void aLeaseExpiresOnlyWhenTheTestMovesTheClock(Guest guest) {
        guest.lease();
        assertThat(activeLeases()).isEqualTo(1);
        jslirp.advance(Duration.ofDays(2));
        assertThat(activeLeases()).isZero();
    }

    private int activeLeases() {
        return jslirp.network().dhcp().activeLeases().size();
    }

    @Test
    void aForwardRefusesTheStartNamingIt() {
        JslirpExtension withForward = JslirpExtension.frozenClock()
                .configure(b -> b.nat(NatConfig.builder().addForward("tcp::2222-:22").build()));
        assertThatThrownBy(() -> withForward.beforeEach(null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("frozen-clock").hasMessageContaining("hostfwd=");
    }

    @Test
    void timeMovesByHandOnlyOnAFrozenClock() {
        assertThatThrownBy(() -> new JslirpExtension().advance(Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("frozenClock()");
    }
}
