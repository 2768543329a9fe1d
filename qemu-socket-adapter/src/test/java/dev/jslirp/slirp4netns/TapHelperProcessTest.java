package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.tap.OpenedTap;
import dev.jslirp.transport.tap.TapSetup;
import dev.jslirp.transport.tap.TestNamespace;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The helper that opens a tap inside a user namespace jslirp cannot enter itself: started
 * through nsenter in a namespace pair made by {@code unshare --user --map-root-user
 * --net}, it opens and configures the tap there and the descriptor arrives here, working
 * (its name and flags read back through it). As root the JVM could enter by itself, so
 * this calls the helper directly; {@code RootlessKitTest} runs it unprivileged.
 */
class TapHelperProcessTest {
    private static final Duration SHORT = Duration.ofSeconds(20);

    private EventLoopGroup group;
    private Process namespaces;
    private NamespaceTarget target;

    @BeforeAll
    static void root() {
        TestNamespace.requireRoot(TapHelperProcessTest.class);
    }

    @BeforeEach
    void start() throws Exception {
        group = IoTransport.EPOLL.newEventLoopGroup(1);
        namespaces = new ProcessBuilder("unshare", "--user", "--map-root-user", "--net", "sleep", "600").start();
        Path ns = Path.of("/proc", Long.toString(namespaces.pid()), "ns");
        long end = System.nanoTime() + SHORT.toNanos();
        while (Files.isSameFile(ns.resolve("user"), Path.of("/proc/self/ns/user"))) {
            assertThat(System.nanoTime()).as("unshare made its namespaces").isLessThan(end);
            Thread.sleep(20);
        }
        target = new NamespaceTarget(ns.resolve("net"), ns.resolve("user"), namespaces.pid());
    }

    @AfterEach
    void stop() throws Exception {
        namespaces.destroyForcibly();
        namespaces.waitFor(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Runs {@code ip ARGS} inside the target's namespaces. */
    private String ip(String... args) throws Exception {
        String[] cmd = new String[args.length + 6];
        cmd[0] = "nsenter";
        cmd[1] = "--user=" + target.userns();
        cmd[2] = "--net=" + target.netns();
        cmd[3] = "--preserve-credentials";
        cmd[4] = "--";
        cmd[5] = "ip";
        System.arraycopy(args, 0, cmd, 6, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void theHelperOpensAndConfiguresTheTapInsideAndItsDescriptorArrives() throws Exception {
        TapSetup setup = TapSetup.link("tap7", 1400).withLoopbackUp()
                .withAddress(Ipv4Address.parse("10.0.2.100"), Ipv4Address.parse("255.255.255.0"),
                        Ipv4Address.parse("10.0.2.2"))
                .withMac(MacAddress.parse("02:00:00:00:00:07"));
        List<Path> before = rendezvousDirectories();
        OpenedTap tap = TapHelperProcess.open(target, setup, group.next());
        try {
            assertThat(tap.device().name()).isEqualTo("tap7");
            assertThat(tap.device().vnetHeader()).isTrue();
            assertThat(tap.device().persistent()).isFalse();
            assertThat(tap.readMtu()).isEqualTo(1400);
            String link = ip("-o", "link", "show", "tap7");
            assertThat(link).contains("mtu 1400", "02:00:00:00:00:07", "UP");
            assertThat(ip("-o", "addr", "show", "tap7")).contains("inet 10.0.2.100/24");
            assertThat(ip("route")).contains("default via 10.0.2.2");
            assertThat(ip("-o", "link", "show", "lo")).contains("UP");
        } finally {
            tap.device().close();
        }
        assertThat(ip("-o", "link", "show", "tap7")).as("the helper kept no copy: closing ours removed the tap")
                .contains("does not exist");
        assertThat(rendezvousDirectories()).as("the rendezvous directory is removed").isEqualTo(before);
    }

    private static List<Path> rendezvousDirectories() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("jslirp-tap-")).sorted().toList();
        }
    }

    @Test
    void theHelpersOwnErrorIsTheMessage() {
        TapSetup lo = TapSetup.link("lo", 1500);
        assertThatThrownBy(() -> TapHelperProcess.open(target, lo, group.next()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot open tap lo in the network namespace of process " + namespaces.pid())
                .hasMessageContaining("cannot attach tap lo");
    }

    @Test
    void aNamespaceThatIsGoneIsNsentersError() throws Exception {
        namespaces.destroyForcibly();
        namespaces.waitFor(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> TapHelperProcess.open(target, TapSetup.link("tap0", 1500), group.next()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("nsenter").hasMessageContaining("No such file or directory");
    }
}
