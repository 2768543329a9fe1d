package dev.jslirp.e2e.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.e2e.InProcessNetworks;
import dev.jslirp.e2e.UserOptions;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The TFTP checks against jslirp running in the test JVM, so Netty's leak detector watches the
 * server's buffers, and its counters are checked too.
 */
class JslirpTftpGuestTest extends TftpGuestComparison {
    private InProcessNetworks jslirp;

    @Override
    void startBackend() {
        jslirp = InProcessNetworks.start(Map.of());
    }

    @Override
    String netdev(String id, UserOptions options) {
        return jslirp.netdev(id, options, dns -> { });
    }

    @Override
    String qemuBinary() {
        return null;
    }

    @Override
    void stopBackend() {
        if (jslirp != null) {
            jslirp.all().forEach((id, n) -> System.out.printf("%s: counters of network %s: %s%n",
                    getClass().getSimpleName(), id, n.counters()));
            jslirp.close();
        }
    }

    /** The boot file name: jslirp sends option 67 as well as the BOOTP file field. */
    @Override
    String expectedBootfileOption() {
        return BOOT_SCRIPT;
    }

    /** Access violation: the link resolves outside DIR (DirectoryFiles). */
    @Override
    String expectedSymlinkOutOfDirectory() {
        return "tftp: server error: (2) Access violation";
    }

    /** Access violation at once: the server is read-only and says so. */
    @Override
    String expectedWriteRequest() {
        return "tftp: server error: (2) Access violation";
    }

    /** Access violation: any {@code ..} component is refused (TftpNames). */
    @Override
    String expectedDirectoryThroughDotDot() {
        return "tftp: server error: (2) Access violation";
    }

    /** The kernel and initramfs went through the TFTP server, in three completed transfers with the script. */
    @Override
    void afterNetworkBoot(long bootBytes) {
        Map<String, Long> c = jslirp.get("pxe").counters();
        assertThat(c.get("tftp.TRANSFERS_COMPLETED")).isGreaterThanOrEqualTo(3L);
        assertThat(c.get("tftp.BYTES_SENT")).isGreaterThan(bootBytes);
        assertThat(c.getOrDefault("tftp.TIMEOUTS", 0L)).isZero();
    }

    @Test
    void countersAccountForTheTransfers() {
        // Runs after or before the others: it only checks what the counters can never show.
        Map<String, Long> c = jslirp.get("virtio").counters();
        assertThat(c.getOrDefault("tftp.MALFORMED_DROPPED", 0L)).isZero();
        assertThat(c.getOrDefault("tftp.MALFORMED_REQUESTS", 0L)).isZero();
        assertThat(c.getOrDefault("tftp.STRAY_ACKS", 0L)).isZero();
    }
}
