package dev.jslirp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.capture.Tshark;
import dev.jslirp.metrics.PrometheusText;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.QemuStreamPeer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --pcap} and {@code --metrics} on a running jslirp process: the capture tshark
 * reads, a scrape that moves with traffic, and the start-up errors of a file that cannot
 * be written and a port in use.
 */
class ObservabilityProcessTest extends JslirpProcessTest {
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
    void metricsAreScrapedOverHttpAndMoveWithTraffic() throws Exception {
        Path sock = dir.resolve("j.sock");
        jslirp = JslirpProcess.start("--listen", "unix:" + sock, "--metrics", "tcp:127.0.0.1:0");
        Matcher m = Pattern.compile("metrics: (http://127\\.0\\.0\\.1:\\d+/metrics) \\(Prometheus text format\\)")
                .matcher(jslirp.awaitLine("metrics: "));
        assertThat(m.find()).isTrue();
        URI url = URI.create(m.group(1));
        assertThat(PrometheusText.scrape(url).value("jslirp_guest_attached")).isZero();
        try (QemuStreamPeer qemu = QemuStreamPeer.connect(new Endpoint.Unix(sock))) {
            qemu.assertArpRoundTrip();
            PrometheusText during = PrometheusText.scrape(url);
            assertThat(during.value("jslirp_guest_attached")).isEqualTo(1);
            assertThat(during.value("jslirp_guest_ports")).isEqualTo(1);
            assertThat(during.value("jslirp_traffic_total", "counter", "frames_from_guest")).isEqualTo(1);
            assertThat(during.value("jslirp_traffic_total", "counter", "frames_to_guest")).isEqualTo(1);
            assertThat(during.value("jslirp_transport_total", "counter", "refused_connections")).isZero();
        }
        jslirp.awaitLine("QEMU disconnected");
        assertThat(jslirp.terminate()).isEqualTo(128 + 15);
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aMetricsPortInUseStopsTheStartNamingMetrics() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            jslirp = JslirpProcess.start("--listen", "unix:" + dir.resolve("j.sock"), "--metrics",
                    "tcp:127.0.0.1:" + taken.getLocalPort());
            assertThat(jslirp.awaitExit()).isEqualTo(1);
            assertThat(jslirp.output()).contains("jslirp: --metrics: cannot listen on tcp:127.0.0.1:"
                    + taken.getLocalPort() + ": Address already in use");
            assertThat(dir.resolve("j.sock")).as("nothing left listening").doesNotExist();
        }
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
