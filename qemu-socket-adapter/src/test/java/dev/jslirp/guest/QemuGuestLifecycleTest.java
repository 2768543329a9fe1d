package dev.jslirp.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Starting and ending guests: what a test sees when QEMU goes away, and that none is left over. */
class QemuGuestLifecycleTest {

    @Test
    void guestPowerOffEndsQemuAndIsObservable() {
        try (QemuGuest guest = QemuGuest.builder().name("poweroff").netdev("user,id=n0").start()) {
            long pid = guest.pid();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
            assertThat(guest.waitForExit(Duration.ofMillis(200))).isEmpty();

            guest.runOk("(sleep 1; poweroff -f) >/dev/null 2>&1 &");
            OptionalInt exit = guest.waitForExit(Duration.ofSeconds(30));

            assertThat(exit).as("QEMU exit after guest power-off").isPresent();
            assertThat(guest.isAlive()).isFalse();
            assertThatThrownBy(() -> guest.run("true"))
                    .isInstanceOf(GuestException.class)
                    .hasMessageContaining("QEMU has exited")
                    .hasMessageContaining(guest.transcriptPath().toString());
        }
    }

    @Test
    void closeStopsQemuAndLeavesNoProcess() {
        QemuGuest guest = QemuGuest.builder().name("close").netdev("user,id=n0").start();
        long pid = guest.pid();
        guest.close();
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(guest.isAlive()).isFalse();
        guest.close(); // idempotent
        assertThatThrownBy(() -> guest.run("true")).isInstanceOf(GuestException.class);
    }

    @Test
    void bootFailureIsReportedWithTranscriptAndQemuIsGone() throws Exception {
        // No such init in the initramfs: the kernel panics, panic=-1 reboots, -no-reboot exits.
        assertThatThrownBy(() -> QemuGuest.builder().name("bootfail").netdev("user,id=n0")
                        .kernelArgs("rdinit=/no-such-init").start())
                .isInstanceOf(GuestException.class)
                .hasMessageContaining("QEMU exited during boot")
                .hasMessageContaining("transcript: ")
                .satisfies(e -> {
                    String path = e.getMessage().replaceAll("(?s).*transcript: (\\S+).*", "$1");
                    assertThat(Files.readString(java.nio.file.Path.of(path))).contains("Kernel panic");
                });
    }

    @Test
    void badQemuArgumentFailsFastWithQemusMessage() {
        assertThatThrownBy(() -> QemuGuest.builder().name("badarg").netdev("user,id=n0")
                        .qemuArgs("-no-such-option").start())
                .isInstanceOf(GuestException.class)
                .hasMessageContaining("QEMU exited during boot")
                .hasMessageContaining("-no-such-option");
    }

    @Test
    void netdevWithoutIdIsRejected() {
        assertThatThrownBy(() -> QemuGuest.builder().netdev("user"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("id=");
    }
}
