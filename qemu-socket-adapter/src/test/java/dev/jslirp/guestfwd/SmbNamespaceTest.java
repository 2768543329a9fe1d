package dev.jslirp.guestfwd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.guestfwd.GuestfwdCounter;
import dev.jslirp.smb.SmbConfig;
import dev.jslirp.transport.tap.NamespaceGuest;
import dev.jslirp.transport.tap.TestNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code smb=DIR}: Samba's {@code smbclient} in a namespace guest reads and writes the shared
 * directory at \\10.0.2.4\qemu, served by a private smbd per connection; the private directory
 * goes with the network. Needs root, and Debian's samba and smbclient.
 */
class SmbNamespaceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static List<Path> privateDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("jslirp-smb.")).toList();
        }
    }

    @Test
    void smbclientInTheGuestReadsAndWritesTheShare() throws Exception {
        Path share = Files.createDirectories(dir.resolve("share"));
        Files.writeString(share.resolve("hello.txt"), "hello from the host\n");
        Path inGuest = Files.createDirectories(dir.resolve("guest"));
        Files.writeString(inGuest.resolve("up.txt"), "written by the guest\n");
        List<Path> before = privateDirs();

        NamespaceGuest g = NamespaceGuest.start(getClass(), dir, NetworkConfig.defaults(), DnsConfig.builder(),
                NatConfig.defaults(), b -> b.smb(SmbConfig.of(share.toString(), null, null)));
        try {
            TestNamespace.Result r = g.ns().exec(TIMEOUT, "smbclient", "//10.0.2.4/qemu", "-N", "-m", "SMB3",
                    "-c", "ls; get hello.txt " + inGuest.resolve("got.txt") + "; put " + inGuest.resolve("up.txt")
                            + " up.txt");

            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output()).contains("hello.txt");
            assertThat(Files.readString(inGuest.resolve("got.txt"))).isEqualTo("hello from the host\n");
            assertThat(Files.readString(share.resolve("up.txt"))).isEqualTo("written by the guest\n");
            JslirpNetwork n = g.jslirp().network();
            assertThat(n.stats().service("nat.guestfwd", GuestfwdCounter.class).get(GuestfwdCounter.COMMANDS_STARTED))
                    .isPositive();
            assertThat(privateDirs()).as("smbd's private directory while the network runs").hasSize(before.size() + 1);
        } finally {
            g.close();
        }
        assertThat(privateDirs()).as("smbd's private directory removed with the network").isEqualTo(before);
    }
}
