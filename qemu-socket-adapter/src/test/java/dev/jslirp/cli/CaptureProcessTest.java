package dev.jslirp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.capture.Tshark;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.QemuStreamPeer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code --pcap} on a running jslirp process: the capture tshark reads, and a file it cannot write. */
class CaptureProcessTest extends JslirpProcessTest {
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void pcapCapturesFromTheStartAndIsClosedOnSigterm() throws Exception {
        Path sock = dir.resolve("j.sock");
        Path pcap = dir.resolve("start.pcap");
        jslirp = JslirpProcess.start("--listen", "unix:" + sock, "--pcap", pcap.toString(), "--pcap-files", "3");
        assertThat(jslirp.awaitLine("pcap: ")).contains("capturing to " + pcap + " (at most 3 files of 64 MiB)");
        try (QemuStreamPeer qemu = QemuStreamPeer.connect(new Endpoint.Unix(sock))) {
            qemu.assertArpRoundTrip();
        }
        jslirp.awaitLine("QEMU disconnected");
        assertThat(jslirp.terminate()).isEqualTo(128 + 15);
        assertThat(jslirp.output()).contains("capture.FRAMES_WRITTEN=2");
        assertThat(Tshark.fields(pcap, null, "arp.opcode")).containsExactly("1", "2");
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aCaptureFileThatCannotBeWrittenStopsTheStartNamingPcap() throws Exception {
        jslirp = JslirpProcess.start("--listen", "unix:" + dir.resolve("j.sock"), "--pcap", "/dev/full");
        assertThat(jslirp.awaitExit()).isEqualTo(1);
        assertThat(jslirp.output()).contains("jslirp: --pcap: cannot capture to /dev/full: No space left on device");
        assertThat(dir.resolve("j.sock")).as("nothing left listening").doesNotExist();
    }
}
