package dev.jslirp.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.hostfwd.HostForward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** HMP's forwarding rules, read field by field with QEMU's reasons for each mistake. */
class HmpHostfwdTest {
    @Test
    void rulesReadAsQemuReadsThem() throws Exception {
        assertThat(HmpHostfwd.parseAdd("tcp::2222-:22"))
                .isEqualTo(new HostForward(HostForward.Protocol.TCP, 0, 2222, 0, 22));
        assertThat(HmpHostfwd.parseAdd("::2222-:22")).as("no protocol is TCP")
                .isEqualTo(new HostForward(HostForward.Protocol.TCP, 0, 2222, 0, 22));
        assertThat(HmpHostfwd.parseAdd("udp:127.0.0.1:0-10.0.2.16:53")).isEqualTo(new HostForward(
                HostForward.Protocol.UDP, Ipv4Address.parse("127.0.0.1"), 0, Ipv4Address.parse("10.0.2.16"), 53));
        assertThat(HmpHostfwd.parseAdd("UDP::5353-:53").protocol()).isEqualTo(HostForward.Protocol.UDP);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "tcp                  | No : separators",
        "sctp::1-:2           | Bad protocol name",
        "unix:/tmp/s          | Missing - separator",
        "unix:-:22            | Missing unix socket path",
        "unix:tmp/s-:22       | unix socket path must be absolute",
        "unix:/tmp/s-22       | Missing guest address",
        "unix:/tmp/s-:0       | Bad guest port",
        "tcp:2222-22          | Missing : separator",
        "tcp:1.2.3:2222-:22   | Bad host address",
        "tcp:host:2222-:22    | Bad host address",
        "tcp::2222:22         | Bad host port separator",
        "tcp::x-:22           | Bad host port",
        "tcp::65536-:22       | Bad host port",
        "tcp::-1-:22          | Bad host port",
        "tcp::2222-22         | Missing guest address",
        "tcp::2222-10.0.2:22  | Bad guest address",
        "tcp::2222-:0         | Bad guest port",
        "tcp::2222-:          | Bad guest port",
        "tcp::2222-:22x       | Bad guest port",
    })
    void eachMistakeGetsQemusReason(String rule, String reason) {
        assertThatThrownBy(() -> HmpHostfwd.parseAdd(rule)).isInstanceOf(HmpHostfwd.BadRule.class)
                .hasMessage("Invalid host forwarding rule '" + rule + "' (" + reason + ")");
    }

    @Test
    void unixRulesReadAsQemuReadsThemDashesInThePathToo() throws Exception {
        assertThat(HmpHostfwd.parseAdd("unix:/run/vm-1/ssh.sock-:22"))
                .isEqualTo(HostForward.unix(java.nio.file.Path.of("/run/vm-1/ssh.sock"), null, 22));
        assertThat(HmpHostfwd.parseAdd("unix:/s-10.0.2.16:80").guestAddress()).hasToString("10.0.2.16");
        assertThatThrownBy(() -> HmpHostfwd.parseAdd("unix:/" + "x".repeat(200) + "-:22"))
                .hasMessageContaining("Unix socket path is too long");
        assertThat(HmpHostfwd.parseRemove("unix:/run/vm-1/ssh.sock"))
                .isEqualTo(new HmpHostfwd.HostEnd(HostForward.Protocol.UNIX, null, 0, java.nio.file.Path.of("/run/vm-1/ssh.sock")));
    }

    @Test
    void removeNamesTheHostEnd() throws Exception {
        assertThat(HmpHostfwd.parseRemove("tcp::2222")).isEqualTo(new HmpHostfwd.HostEnd(HostForward.Protocol.TCP, null, 2222));
        assertThat(HmpHostfwd.parseRemove(":127.0.0.1:22"))
                .isEqualTo(new HmpHostfwd.HostEnd(HostForward.Protocol.TCP, IpAddress.parse("127.0.0.1"), 22));
        assertThat(HmpHostfwd.parseRemove("udp:255.255.255.255:53"))
                .isEqualTo(new HmpHostfwd.HostEnd(HostForward.Protocol.UDP, IpAddress.ipv4(Ipv4Address.BROADCAST), 53));
    }

    @ParameterizedTest
    @CsvSource({"tcp:2222", "2222", "icmp::1", "tcp:bad:22", "tcp::", "tcp::99999", "tcp::2222-:22", "unix:relative"})
    void removeWithABadArgumentIsQemusInvalidFormat(String arg) {
        assertThatThrownBy(() -> HmpHostfwd.parseRemove(arg)).isInstanceOf(HmpHostfwd.BadRule.class)
                .hasMessage("invalid format: '" + arg + "' (expected [tcp|udp]:[hostaddr]:hostport | unix:PATH, e.g. tcp::2222)");
    }
}
