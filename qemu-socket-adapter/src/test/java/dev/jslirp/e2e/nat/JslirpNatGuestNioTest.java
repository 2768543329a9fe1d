package dev.jslirp.e2e.nat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.config.ConfigException;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.transport.IoTransport;
import io.netty.channel.EventLoopGroup;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link JslirpNatGuestTest} once more on the JDK's NIO instead of native epoll, as jslirp
 * runs where epoll is absent (macOS, Windows): the guest's stream socket (unix), the NAT's
 * host sockets and the event loop all on NIO, with the same checks, but for guest forwards
 * to a command, which need epoll and refuse to start here, and for what needs the kernel's
 * ICMP and TTL options (ping to other hosts, traceroute past the gateway).
 */
class JslirpNatGuestNioTest extends JslirpNatGuestTest {
    @Override
    IoTransport io() {
        return IoTransport.NIO;
    }

    /**
     * The gateway, then nothing: NIO can neither send with the guest's TTL (the JDK has no
     * unicast TTL option) nor hear the peer's port unreachable on an unconnected socket.
     */
    @Override
    List<String> expectedTracerouteHops() {
        return List.of("10.0.2.2", "*", "*");
    }

    /** false: the JDK has no ICMP sockets; the requests are counted (nat.icmp.DROPPED_UNSUPPORTED). */
    @Override
    boolean expectedPingToOtherHostsAnswered() {
        return false;
    }
    @Override
    boolean runsCommands() {
        return false;
    }

    @Override
    void commandForwardIsRefused() {
        EventLoopGroup group = IoTransport.NIO.newEventLoopGroup(1);
        try {
            assertThatThrownBy(() -> JslirpNetwork.builder()
                    .nat(NatConfig.builder().addGuestForward(COMMAND_FORWARD).build())
                    .eventLoop(group.next(), IoTransport.NIO.hostChannels()).build().close())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("guestfwd").hasMessageContaining("epoll");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
