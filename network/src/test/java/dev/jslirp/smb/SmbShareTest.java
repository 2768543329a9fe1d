package dev.jslirp.smb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.nat.HostTarget;
import dev.jslirp.nat.guestfwd.GuestForward;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** smb='s checks at start-up, and the private directory and command it sets up (no smbd runs here). */
class SmbShareTest {
    @TempDir
    Path dir;

    @Test
    void missingSmbdIsAStartUpErrorSayingWhatToInstall() {
        assertThatThrownBy(() -> SmbConfig.of(dir.toString(), null, null, dir.resolve("no-smbd"), dir.toString()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid smb:")
                .hasMessageContaining("smbd not found").hasMessageContaining("apt-get install samba");
    }

    @Test
    void smbdIsFoundOnThePathWhenNotAtTheDefault() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path smbd = Files.writeString(bin.resolve("smbd"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(smbd, PosixFilePermissions.fromString("rwx------"));

        SmbConfig c = SmbConfig.of(dir.toString(), "10.0.2.9", null, dir.resolve("no-smbd"), "/nonexistent:" + bin);

        assertThat(c.smbd()).isEqualTo(smbd);
        assertThat(c.forwards("x")).extracting(GuestForward::toString)
                .containsExactly("tcp:10.0.2.9:139-cmd:x", "tcp:10.0.2.9:445-cmd:x");
        assertThat(c.forwards("x")).extracting(GuestForward::option).containsOnly("smbserver");
    }

    @Test
    void badShareOrServerNamesItsOption() {
        assertThatThrownBy(() -> SmbConfig.of(dir.resolve("nope").toString(), null, "/bin/sh"))
                .hasMessageStartingWith("invalid smb:").hasMessageContaining("not a readable directory");
        assertThatThrownBy(() -> SmbConfig.of(dir.toString(), "ten.zero.two.four", "/bin/sh"))
                .hasMessageStartingWith("invalid smbserver:");
    }

    @Test
    void shareHasAnOwnerOnlyPrivateDirectoryWithQemusConfigurationRemovedOnClose() throws Exception {
        Path share = Files.createDirectories(dir.resolve("it's shared"));
        SmbShare s = SmbShare.create(SmbConfig.of(share.toString(), null, "/bin/sh"));
        Path priv = s.privateDir();
        try {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(priv))).isEqualTo("rwx------");
            String conf = Files.readString(priv.resolve("smb.conf"));
            assertThat(conf).contains("[qemu]\npath=" + share.toRealPath() + "\n")
                    .contains("map to guest = Bad User").contains("guest ok=yes")
                    .contains("lock directory=" + priv + "\n")
                    .contains("force user=" + System.getProperty("user.name"));
            assertThat(s.command()).isEqualTo("exec '/bin/sh' -l '" + priv + "' -s '" + priv.resolve("smb.conf") + "'");
            assertThat(s.forwards()).extracting(f -> f.target()).containsOnly(new HostTarget.Command(s.command()));
            Files.writeString(Files.createDirectories(priv.resolve("ncalrpc")).resolve("left-by-smbd"), "x");
        } finally {
            s.close();
        }
        assertThat(priv).doesNotExist();
    }

    @Test
    void quotingKeepsAWordWhole() {
        assertThat(SmbShare.quote("it's")).isEqualTo("'it'\\''s'");
    }
}
