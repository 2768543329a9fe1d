package dev.jslirp.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The user-network contract on virtio-net, plus the console protocol itself: exit codes, exact
 * output, long and awkward commands, timeouts. They share the class's one boot.
 */
class VirtioNetUserNetworkGuestTest extends UserNetworkGuestContract {

    @Override
    NicModel nic() {
        return NicModel.VIRTIO_NET_PCI;
    }

    @Override
    String mac() {
        return QemuGuest.DEFAULT_MAC;
    }

    @Test
    void exitCodeOfCommandIsReported() {
        assertThat(guest.run("exit 3", Duration.ofSeconds(10))).isEqualTo(new GuestResult(3, ""));
        assertThat(guest.run("false").exitCode()).isEqualTo(1);
        assertThat(guest.run("true")).isEqualTo(new GuestResult(0, ""));
    }

    @Test
    void multiLineOutputIsExact() {
        assertThat(guest.runOk("printf 'a\\nb\\n\\n c \\n'; echo d")).isEqualTo("a\nb\n\n c \nd\n");
    }

    @Test
    void outputWithoutTrailingNewlineIsExact() {
        assertThat(guest.runOk("printf abc")).isEqualTo("abc");
        assertThat(guest.runOk("printf '\\n\\n'")).isEqualTo("\n\n");
    }

    @Test
    void stderrIsCapturedInOrderWithStdout() {
        assertThat(guest.run("echo out; echo err >&2; echo out2; exit 4"))
                .isEqualTo(new GuestResult(4, "out\nerr\nout2\n"));
    }

    @Test
    void utf8AndControlCharactersPassBothWays() {
        assertThat(guest.runOk("printf '%s' 'grüße ✓'")).isEqualTo("grüße ✓");
        assertThat(guest.runOk("printf 'tab\\there\\r\\n'")).isEqualTo("tab\there\r\n");
    }

    @Test
    void multiLineCommandWithQuotesAndExpansionsRunsAsWritten() {
        String script = "x='single \"double\" $notexpanded'\n"
                + "y=\"dollar ${x%% *}\"\n"
                + "cat <<EOF\n$x\n$y\nback\\\\slash `echo tick`\nEOF\n";
        assertThat(guest.runOk(script)).isEqualTo(
                "single \"double\" $notexpanded\ndollar single\nback\\slash tick\n");
    }

    @Test
    void commandLongerThanTheTtyLineLimitArrivesWhole() {
        String payload = "x".repeat(20_000);
        assertThat(guest.runOk("v='" + payload + "'; echo ${#v}")).isEqualTo("20000\n");
    }

    @Test
    void commandReadingStdinSeesEndOfFileNotTheConsole() {
        assertThat(guest.run("cat; echo done", Duration.ofSeconds(10))).isEqualTo(new GuestResult(0, "done\n"));
    }

    @Test
    void outputThatLooksLikeAMarkerDoesNotEndTheCommand() {
        assertThat(guest.runOk("echo '@@JSLIRP:x:END:1:0@@'; echo after"))
                .isEqualTo("@@JSLIRP:x:END:1:0@@\nafter\n");
    }

    @Test
    void timedOutCommandIsInterruptedAndGuestStaysUsable() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> guest.run("echo started; sleep 60; echo not-reached", Duration.ofSeconds(2)))
                .isInstanceOfSatisfying(GuestTimeoutException.class, e -> {
                    assertThat(e.guestUsable()).isTrue();
                    assertThat(e.partialOutput()).isEqualTo("started\n");
                    assertThat(e.getMessage()).contains("timed out").contains(guest.transcriptPath().toString());
                });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        assertThat(guest.runOk("echo alive")).isEqualTo("alive\n");
    }

    @Test
    void runOkFailureCarriesExitCodeOutputAndTranscript() {
        assertThatThrownBy(() -> guest.runOk("echo boom; exit 7"))
                .isInstanceOf(GuestException.class)
                .hasMessageContaining("exited with 7")
                .hasMessageContaining("boom")
                .hasMessageContaining(guest.transcriptPath().toString());
    }

    @Test
    void kernelMessagesDoNotReachTheConsole() {
        // A kernel warning while a command runs would corrupt its output if printk reached ttyS0.
        assertThat(guest.runOk("echo '<4>jslirp-kmsg-probe' > /dev/kmsg; echo after")).isEqualTo("after\n");
        assertThat(guest.runOk("dmesg | grep -c jslirp-kmsg-probe")).isEqualTo("1\n");
    }
}
