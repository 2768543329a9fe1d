package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TestNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What {@code --tap}/{@code --netns} refuse, before or while starting, and the
 * messages: bad names, a namespace that is not there or not a network namespace,
 * jslirp's own namespace, a loop that is not epoll. None of these needs root; none
 * leaves a descriptor open.
 */
class TapStartErrorsTest {
    private static IOException startFails(IoTransport io, TapOptions options) {
        try (TestNetwork tn = new TestNetwork(io);
             TapTransport t = new TapTransport(tn.network(), options, LinkBuffers.DEFAULT)) {
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, t::start);
            assertThat(tn.isAttached()).isFalse();
            return e;
        } finally {
            assertThat(tunAndNamespaceDescriptors()).as("no tun or namespace descriptor left open").isEmpty();
        }
    }

    /** This process's descriptors of /dev/net/tun or of a namespace. */
    static List<String> tunAndNamespaceDescriptors() {
        List<String> found = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.equals(TapDevice.CLONE_DEVICE) || target.startsWith("net:[")
                            || target.startsWith("uts:[")) {
                        found.add(fd + " -> " + target);
                    }
                } catch (IOException e) {
                    // closed while listing
                }
            });
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return found;
    }

    @Test
    void namespaceSpecsNameProcessesPathsAndIpNetnsNames() {
        assertThat(NetworkNamespace.of("4242").path()).isEqualTo(Path.of("/proc/4242/ns/net"));
        assertThat(NetworkNamespace.of("/var/run/netns/x").path()).isEqualTo(Path.of("/var/run/netns/x"));
        NetworkNamespace named = NetworkNamespace.of("ns1");
        assertThat(named.path()).isEqualTo(Path.of("/run/netns/ns1"));
        assertThat(named.ipNetnsName()).isEqualTo("ns1");
        assertThat(NetworkNamespace.of("4242").ipNetnsName()).isNull();
        assertThatThrownBy(() -> NetworkNamespace.of(" ")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("expected PID, /path/to/netns or an ip netns NAME");
        assertThatThrownBy(() -> NetworkNamespace.of("..")).isInstanceOf(ConfigException.class);
    }

    @Test
    void interfaceNamesFollowLinuxsRules() {
        assertThat(TapOptions.tap("tap0").ifname()).isEqualTo("tap0");
        assertThat(TapOptions.tap("fifteen-chars-x").ifname()).hasSize(15);
        for (String bad : new String[] {"", "sixteen-chars-xx", "a/b", "a:b", "a b", ".", ".."}) {
            assertThatThrownBy(() -> TapOptions.tap(bad)).as("'%s'", bad).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("expected an interface name of 1..15 characters");
        }
    }

    @Test
    void staticAddressingNeedsANamespace() {
        assertThatThrownBy(() -> new TapOptions("tap0", null, true)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--netns");
    }

    @Test
    void nioEventLoopIsRefused() {
        assertThat(startFails(IoTransport.NIO, TapOptions.tap("tap0")))
                .hasMessageContaining("a tap needs Netty's native epoll event loop (--io epoll)");
    }

    @Test
    void missingNamespaceIsRefused() {
        assertThat(startFails(IoTransport.EPOLL,
                TapOptions.inNamespace(NetworkNamespace.of("jslirp-no-such-namespace"), "tap0", false)))
                .hasMessageContaining("cannot open network namespace /run/netns/jslirp-no-such-namespace")
                .hasMessageContaining("no such namespace");
    }

    @Test
    void aNamespaceOfAnotherKindIsRefused() {
        assertThat(startFails(IoTransport.EPOLL,
                TapOptions.inNamespace(NetworkNamespace.of("/proc/self/ns/uts"), "tap0", false)))
                .hasMessageContaining("cannot enter network namespace /proc/self/ns/uts")
                .hasMessageContaining("not a network namespace");
    }

    @Test
    void jslirpsOwnNamespaceIsRefused() {
        String self = Long.toString(ProcessHandle.current().pid());
        assertThat(startFails(IoTransport.EPOLL, TapOptions.inNamespace(NetworkNamespace.of(self), "tap0", true)))
                .hasMessageContaining("is jslirp's own network namespace")
                .hasMessageContaining("refusing to configure the host's networking");
    }
}
