package dev.jslirp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.jslirp.cli.JslirpCommandTest.execute;
import static dev.jslirp.cli.JslirpCommandTest.plan;

import dev.jslirp.transport.tap.TapOptions;
import dev.jslirp.transport.tap.TestNamespace;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParameterException;

/** {@code --tap} and {@code --netns} on the command line: parsing, refusals, help, the start-up line. */
class TapCommandLineTest {
    private static TapOptions tapOf(Jslirp.Plan p) {
        assertThat(p.transport()).isInstanceOf(TransportSpec.Tap.class);
        return ((TransportSpec.Tap) p.transport()).options();
    }

    @Test
    void tapNamesADeviceInJslirpsOwnNamespace() {
        TapOptions o = tapOf(plan("--tap", "tap7"));
        assertThat(o.ifname()).isEqualTo("tap7");
        assertThat(o.netns()).isNull();
        assertThat(o.staticAddress()).isFalse();
    }

    @Test
    void netnsCreatesTap0InTheNamedNamespaceByDefault() {
        TapOptions o = tapOf(plan("--netns", "ns1"));
        assertThat(o.ifname()).isEqualTo("tap0");
        assertThat(o.netns().path()).isEqualTo(Path.of("/run/netns/ns1"));
        assertThat(o.staticAddress()).isFalse();
        TapOptions byPid = tapOf(plan("--netns", "4242", "--netns-ifname", "eth0", "--netns-static"));
        assertThat(byPid.netns().path()).isEqualTo(Path.of("/proc/4242/ns/net"));
        assertThat(byPid.ifname()).isEqualTo("eth0");
        assertThat(byPid.staticAddress()).isTrue();
    }

    @Test
    void namespaceOptionsWithoutNetnsAreRefused() {
        assertThatThrownBy(() -> plan("--tap", "tap0", "--netns-static")).isInstanceOf(ParameterException.class)
                .hasMessage("--netns-static applies to --netns only");
        assertThatThrownBy(() -> plan("--listen", "unix:/tmp/x.sock", "--netns-ifname", "tap1"))
                .isInstanceOf(ParameterException.class).hasMessage("--netns-ifname applies to --netns only");
    }

    /**
     * The static IPv6 address is the prefix with the digits of the first DHCP address's
     * host part (fec0::15): a prefix too long to hold it is a mistake of the command line.
     */
    @Test
    void netnsStaticRefusesAnIpv6PrefixTooLongForItsAddress() {
        assertThat(tapOf(plan("--netns", "ns1", "--netns-static", "--ipv6-net", "fd00:1::/120")).staticAddress())
                .isTrue();
        assertThatThrownBy(() -> plan("--netns", "ns1", "--netns-static", "--ipv6-net", "fd00:1::/126"))
                .isInstanceOf(ParameterException.class)
                .hasMessageStartingWith("invalid --netns-static: the static IPv6 address fd00:1::15 ")
                .hasMessageContaining("not a guest address of ipv6-net=fd00:1::/126");
        assertThat(tapOf(plan("--netns", "ns1", "--netns-static", "--ipv6-net", "fd00:1::/126", "--ipv6", "off"))
                .staticAddress()).as("without IPv6 there is no IPv6 address to make").isTrue();
        JslirpCommandTest.Result r = execute("--netns", "ns1", "--netns-static", "--ipv6-net", "fd00:1::/126");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("invalid --netns-static");
    }

    @Test
    void badNamesAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> plan("--tap", "much-too-long-name")).isInstanceOf(ParameterException.class)
                .hasMessageStartingWith("invalid --tap: 'much-too-long-name'");
        assertThatThrownBy(() -> plan("--netns", "ns1", "--netns-ifname", "a/b")).isInstanceOf(ParameterException.class)
                .hasMessageStartingWith("invalid --netns-ifname: 'a/b'");
        assertThatThrownBy(() -> plan("--netns", "..")).isInstanceOf(ParameterException.class)
                .hasMessageStartingWith("invalid --netns:");
    }

    @Test
    void tapOffloadIsOnUnlessTurnedOffAndAppliesToTapsOnly() {
        assertThat(tapOf(plan("--netns", "ns1")).offload()).isTrue();
        assertThat(tapOf(plan("--netns", "ns1", "--tap-offload", "off")).offload()).isFalse();
        assertThat(tapOf(plan("--tap", "tap0", "--tap-offload", "on")).offload()).isTrue();
        assertThatThrownBy(() -> plan("--netns", "ns1", "--tap-offload", "maybe"))
                .isInstanceOf(ParameterException.class)
                .hasMessage("invalid --tap-offload: 'maybe' (expected on|off, yes|no)");
        assertThatThrownBy(() -> plan("--listen", "unix:/tmp/x.sock", "--tap-offload", "off"))
                .isInstanceOf(ParameterException.class).hasMessage("--tap-offload applies to --tap and --netns only");
    }

    @Test
    void tapOffloadIsOffByDefaultWhereQemuGuestsShareTheNetwork() {
        // a TCP super-frame from the namespace switched to a QEMU port would be dropped there
        Jslirp.Plan mixed = plan("--listen", "unix:/tmp/x.sock", "--netns", "ns1");
        TapOptions tap = mixed.networks().get(0).transports().stream().filter(t -> t instanceof TransportSpec.Tap)
                .map(t -> ((TransportSpec.Tap) t).options()).findFirst().orElseThrow();
        assertThat(tap.offload()).isFalse();
        Jslirp.Plan asked = plan("--listen", "unix:/tmp/x.sock", "--netns", "ns1", "--tap-offload", "on");
        assertThat(asked.networks().get(0).transports().stream().filter(t -> t instanceof TransportSpec.Tap)
                .map(t -> ((TransportSpec.Tap) t).options().offload()).findFirst().orElseThrow()).isTrue();
        Jslirp.Plan second = plan("--netns", "ns1", "--network", "id=n1,listen=unix:/tmp/y.sock,tap=tap9");
        assertThat(second.networks().get(1).transports().stream().filter(t -> t instanceof TransportSpec.Tap)
                .map(t -> ((TransportSpec.Tap) t).options().offload()).findFirst().orElseThrow()).isFalse();
    }

    @Test
    void tapNeedsEpoll() {
        assertThatThrownBy(() -> plan("--netns", "ns1", "--io", "nio")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("invalid --netns: a tap needs the epoll I/O transport (--io epoll)");
        assertThatThrownBy(() -> plan("--tap", "tap0", "--io", "nio")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("invalid --tap: a tap needs the epoll I/O transport");
    }

    @Test
    void tapsNamespacesAndSocketsShareOneNetwork() {
        Jslirp.Plan p = JslirpCommandTest.plan("--tap", "tap0", "--netns", "ns1,isolated=on", "--listen", "unix:/tmp/x.sock");
        List<TransportSpec> t = p.networks().get(0).transports();
        assertThat(t).hasSize(3);
        TransportSpec netns = t.stream().filter(s -> s instanceof TransportSpec.Tap tap && tap.options().netns() != null)
                .findFirst().orElseThrow();
        assertThat(netns.ports().isolated()).isTrue();
        assertThat(t).filteredOn(s -> s.ports().isolated()).hasSize(1);
    }

    @Test
    void helpShowsTheNamespaceFlow() {
        JslirpCommandTest.Result r = execute("--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--tap=NAME").contains("--netns=PID|PATH|NAME").contains("--netns-ifname=NAME")
                .contains("--netns-static")
                .contains("ip netns add ns1")
                .contains("jslirp --netns ns1")
                .contains("ip netns exec ns1 udhcpc -i tap0")
                .contains("ip netns exec ns1 ping -6 fec0::2")
                .contains("fec0::15/64")
                .contains("nsenter -t $! -U --preserve-credentials jslirp --netns $! --netns-static");
    }

    @Test
    void startUpLineSaysWhatToRunInTheNamespace() throws Exception {
        TestNamespace.requireRoot(getClass());
        try (TestNamespace ns = TestNamespace.create();
             Jslirp j = Jslirp.start(plan("--netns", ns.name(), "--dns-upstream", "127.0.0.1:9"))) {
            assertThat(j.startupLines().get(0))
                    .isEqualTo("jslirp serving tap tap0 in network namespace /run/netns/" + ns.name()
                            + " (removed when jslirp exits) (epoll); get its address by DHCP: ip netns exec "
                            + ns.name() + " udhcpc -i tap0 (or dhclient tap0); nameserver 10.0.2.3; IPv6 by SLAAC "
                            + "from jslirp's router advertisements (fec0::/64, default route via fe80::2)");
            assertThat(ns.exec(Duration.ofSeconds(10), "ip", "link", "show", "tap0").exit()).isZero();
        }
    }
}
