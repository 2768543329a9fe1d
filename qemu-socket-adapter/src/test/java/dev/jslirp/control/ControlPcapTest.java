package dev.jslirp.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.capture.Tshark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pcap start FILE}, {@code pcap stop} and {@code pcap} on the control socket of a running network. */
class ControlPcapTest {
    @TempDir
    Path dir;

    @Test
    void startCapturesTheGuestsTrafficUntilStop() throws Exception {
        Path file = dir.resolve("ctl.pcap");
        try (ControlRig rig = new ControlRig(dir)) {
            assertThat(rig.ok("pcap")).isEqualTo("no capture is running");
            assertThat(rig.ok("pcap start " + file)).isEqualTo("capturing to " + file + " (at most 2 files of 64 MiB)");
            assertThat(rig.ok("pcap")).isEqualTo("capturing to " + file);
            rig.guestSpeaks();
            assertThat(rig.ok("pcap stop")).startsWith("capture to " + file + " stopped: 2 frames written (" + file);
            rig.guestSpeaks(); // not captured any more
            assertThat(rig.ok("info stats")).contains("capture.FRAMES_WRITTEN").contains("capture.BYTES_WRITTEN");
        }
        assertThat(Tshark.fields(file, null, "arp.opcode")).containsExactly("1", "2");
    }

    @Test
    void mistakesAreErrorsAndTheCaptureThatRunsGoesOn() throws Exception {
        Path file = dir.resolve("one.pcap");
        Path notes = Files.writeString(dir.resolve("notes.txt"), "mine");
        try (ControlRig rig = new ControlRig(dir)) {
            assertThat(rig.send("pcap stop").error()).isEqualTo("no capture is running");
            assertThat(rig.send("pcap start").error()).isEqualTo("usage: pcap start FILE");
            assertThat(rig.send("pcap start relative.pcap").error()).contains("give an absolute path");
            assertThat(rig.send("pcap begin").error()).isEqualTo("usage: pcap [start FILE|stop]");
            assertThat(rig.send("pcap start " + dir.resolve("no/dir/x.pcap")).error())
                    .startsWith("cannot capture to " + dir.resolve("no/dir/x.pcap") + ": ");
            assertThat(rig.send("pcap start " + notes).error()).contains("is not a pcap capture");
            rig.ok("pcap start " + file);
            assertThat(rig.send("pcap start " + dir.resolve("two.pcap")).error())
                    .isEqualTo("a capture to " + file + " is running (pcap stop first)");
            // Commands after a pcap start on one connection wait for its reply, in order.
            try (ControlClient c = rig.client()) {
                assertThat(c.send("pcap").lines()).containsExactly("capturing to " + file);
                assertThat(c.send("help").lines()).contains("pcap stop -- stop the capture and close its file");
            }
            rig.guestSpeaks();
            rig.ok("pcap stop");
        }
        assertThat(Files.readString(notes)).isEqualTo("mine");
        assertThat(Tshark.fields(file, "arp", "arp.opcode")).isEqualTo(List.of("1", "2"));
        assertThat(dir.resolve("two.pcap")).doesNotExist();
    }
}
