package dev.jslirp.tftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TftpConfigTest {
    @TempDir
    Path tmp;

    @Test
    void directoryIsKeptAsItsRealPath() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("served"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
        assertThat(TftpConfig.builder().root(link.toString()).build().root()).isEqualTo(dir.toRealPath());
        TftpConfig c = TftpConfig.builder().root(dir).build();
        assertThat(c.maxSessions()).isEqualTo(64);
        assertThat(c.maxSessionsPerGuest()).isEqualTo(16);
        assertThat(c.retransmitTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.maxRetransmissions()).isEqualTo(5);
        assertThat(c.windowBytes()).isEqualTo(65536);
    }

    @Test
    void missingDirectoryIsRefusedNamingTheOptionAndItsForm() {
        String missing = tmp.resolve("nope").toString();
        assertThatThrownBy(() -> TftpConfig.builder().root(missing))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid tftp: '" + missing + "' does not exist (expected a readable directory)")
                .satisfies(e -> assertThat(((ConfigException) e).option()).isEqualTo("tftp"));
    }

    @Test
    void fileIsNotADirectory() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> TftpConfig.builder().root(file.toString()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("is not a directory (expected a readable directory)");
    }

    @Test
    void emptyOrMissingDirectoryIsRefused() {
        assertThatThrownBy(() -> TftpConfig.builder().root(""))
                .isInstanceOf(ConfigException.class).hasMessageContaining("invalid tftp: empty directory name");
        assertThatThrownBy(() -> TftpConfig.builder().build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("invalid tftp: no directory given");
        assertThatThrownBy(() -> TftpConfig.builder().root("a\0b"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("is not a path");
    }

    @Test
    void boundsAreChecked() {
        assertThatThrownBy(() -> TftpConfig.builder().maxSessions(0)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("tftp-max-sessions");
        assertThatThrownBy(() -> TftpConfig.builder().maxSessionsPerGuest(5000)).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> TftpConfig.builder().retransmitTimeout(Duration.ofMillis(1)))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> TftpConfig.builder().maxRetransmissions(0)).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> TftpConfig.builder().windowBytes(100)).isInstanceOf(ConfigException.class);
    }
}
