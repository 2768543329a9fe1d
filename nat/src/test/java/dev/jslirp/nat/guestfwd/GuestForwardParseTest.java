package dev.jslirp.nat.guestfwd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.HostTarget;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** QEMU's {@code guestfwd=} syntax, and the checks of a network's guest forwards. */
class GuestForwardParseTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "tcp:10.0.2.100:1234-tcp:127.0.0.1:8080;  10.0.2.100; 1234; tcp:127.0.0.1:8080",
        ":10.0.2.100:1234-tcp:localhost:8080;     10.0.2.100; 1234; tcp:127.0.0.1:8080",
        "tcp::80-tcp::8080;                       ;           80;   tcp:127.0.0.1:8080",
        "TCP:[fec0::4]:80-tcp:[::1]:8080;         fec0::4;    80;   tcp:[0:0:0:0:0:0:0:1]:8080",
        "tcp:10.0.2.100:22-unix:/run/ssh.sock;     10.0.2.100; 22;   unix:/run/ssh.sock",
        "tcp:10.0.2.100:5-cmd:nc -U /a,b.sock;    10.0.2.100; 5;    cmd:nc -U /a,b.sock",
    })
    void qemusFormsAreRead(String spec, String server, int port, String target) {
        GuestForward f = GuestForward.parse(spec);

        assertThat(f.server() == null ? null : f.server().toString()).isEqualTo(server);
        assertThat(f.port()).isEqualTo(port);
        assertThat(f.target()).hasToString(target);
        assertThat(f.option()).isEqualTo("guestfwd");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "10.0.2.100;                                   no ':'",
        "udp:10.0.2.100:53-tcp:127.0.0.1:53;           TCP only",
        "tcp:10.0.2.100-tcp:127.0.0.1:53;              not a server address",
        "tcp:10.0.2.100:99999-tcp:127.0.0.1:53;        not a server port",
        "tcp:10.0.2.100:0-tcp:127.0.0.1:53;            not a server port",
        "tcp:10.0.2.100:53;                            no '-'",
        "tcp:fec0::4:53-tcp:127.0.0.1:53;              not a server address",
        "tcp:[10.0.2.4]:53-tcp:127.0.0.1:53;           not a server address",
        "tcp:host.example:53-tcp:127.0.0.1:53;         not a server address",
        "tcp:10.0.2.100:53-tcp:127.0.0.1;              has no port",
        "tcp:10.0.2.100:53-tcp:127.0.0.1:http;         not a port",
        "tcp:10.0.2.100:53-tcp:127.0.0.1:53,server=on; character device options",
        "tcp:10.0.2.100:53-unix:;                      without a path",
        "tcp:10.0.2.100:53-unix:/a\tb;                 control character",
        "tcp:10.0.2.100:53-unix:  /run/x.sock;         a space at an end",
        "tcp:10.0.2.100:53-unix:x   /;                 a space at an end",
        "tcp:10.0.2.100:53-unix:/s,server=on;          character device options",
        "tcp:10.0.2.100:53-cmd:;                       without a command",
        "tcp:10.0.2.100:53-file:/tmp/log;              device 'file:/tmp/log'",
        "tcp:10.0.2.100:53-stdio;                      device 'stdio'",
        "tcp:10.0.2.100:53-tcp:no.such.host.invalid:53; cannot resolve",
    })
    void malformedRulesNameGuestfwdAndTheForm(String spec, String why) {
        assertThatThrownBy(() -> GuestForward.parse(spec))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid guestfwd: '" + spec + "'")
                .hasMessageContaining(why)
                .hasMessageContaining("tcp:HOST:PORT, unix:PATH or cmd:COMMAND");
    }

    @Test
    void aRelativeUnixPathIsMadeAbsoluteAndNormalisedSoTheRulePrintsAsItParses() {
        // Found by fuzzing: "unix:./" printed as ".../." and parsed back as "..." without it.
        GuestForward f = GuestForward.parse("tcp::8-unix:./");
        String abs = java.nio.file.Path.of("").toAbsolutePath().toString();

        assertThat(f.target()).hasToString("unix:" + abs);
        assertThat(GuestForward.parse(f.toString()).target()).isEqualTo(f.target());
        assertThat(GuestForward.parse("tcp::8-unix:/run/../run/x.sock").target()).hasToString("unix:/run/x.sock");
    }

    @Test
    void anEmptyServerIsTheNetworksDot2Dot4AsLibslirpChooses() {
        GuestForward f = GuestForward.parse("tcp::445-tcp:127.0.0.1:445");

        assertThat(f.serverIn(NetworkConfig.defaults())).hasToString("10.0.2.4");
        assertThat(f.serverIn(NetworkConfig.builder().net("192.168.76.0/24").build())).hasToString("192.168.76.4");
        assertThat(f.serverIn(NetworkConfig.builder().net("10.9.0.0/16").build())).hasToString("10.9.2.4");
    }

    @Test
    void theNetworkMustAnnounceEachServerAndTakeEachServerPortOnce() {
        List<GuestForward> two = List.of(GuestForward.parse("tcp::80-tcp:127.0.0.1:1"),
                GuestForward.parse("tcp:10.0.2.4:80-tcp:127.0.0.1:2"));
        NetworkConfig announced = GuestForwards.announce(NetworkConfig.defaults(), two);

        assertThat(announced.serviceAddresses()).containsExactly(IpAddress.parse("10.0.2.4"));
        assertThatThrownBy(() -> GuestForwards.of(two, NetworkConfig.defaults(), true))
                .hasMessageContaining("not a service address");
        assertThatThrownBy(() -> GuestForwards.of(two, announced, true))
                .hasMessageStartingWith("invalid guestfwd:").hasMessageContaining("10.0.2.4:80 is forwarded already");
    }

    @Test
    void commandTargetsNeedALauncherAndSaySo() {
        List<GuestForward> cmd = List.of(GuestForward.parse("tcp::80-cmd:cat"));
        NetworkConfig announced = GuestForwards.announce(NetworkConfig.defaults(), cmd);

        assertThatThrownBy(() -> GuestForwards.of(cmd, announced, false)).hasMessageContaining("epoll");
        assertThat(GuestForwards.of(cmd, announced, true).target(IpAddress.parse("10.0.2.4").hi(),
                IpAddress.parse("10.0.2.4").lo(), 80)).isEqualTo(new HostTarget.Command("cat"));
    }

    @Test
    void aServerAddressTheNetworkCannotHaveIsRefusedWhenAnnounced() {
        assertThatThrownBy(() -> GuestForwards.announce(NetworkConfig.defaults(),
                List.of(GuestForward.parse("tcp:10.0.2.3:80-tcp:127.0.0.1:80"))))
                .hasMessageStartingWith("invalid guestfwd:").hasMessageContaining("DNS address");
    }
}
