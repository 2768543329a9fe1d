package dev.jslirp.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.metrics.MetricsServer;
import dev.jslirp.metrics.NetworkMetrics;
import dev.jslirp.metrics.PrometheusText;
import dev.jslirp.transport.Endpoint;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics endpoint of a running network, scraped over HTTP and read as Prometheus's
 * text format, while a scripted guest makes traffic; and {@code info stats json} on the
 * control socket, which gives the same numbers.
 */
class MetricsEndpointTest {
    @TempDir
    Path dir;

    @Test
    void countersGaugesAndLatenciesMoveWithTheGuestsTraffic() throws Exception {
        try (ControlRig rig = new ControlRig(dir);
             ServerSocket host = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
             MetricsServer server = MetricsServer.start(new NetworkMetrics(rig.network),
                     new Endpoint.Inet("tcp", "127.0.0.1", 0))) {
            assertThat(server.url()).matches("http://127\\.0\\.0\\.1:\\d+/metrics");
            PrometheusText before = PrometheusText.scrape(URI.create(server.url()));
            // Text format 0.0.4 names a counter family with its _total.
            assertThat(before.types()).containsEntry("jslirp_traffic_total", "counter")
                    .containsEntry("jslirp_drops_total", "counter").containsEntry("jslirp_dhcp_total", "counter")
                    .containsEntry("jslirp_nat_tcp_total", "counter").containsEntry("jslirp_capture_total", "counter")
                    .containsEntry("jslirp_tcp_flows", "gauge").containsEntry("jslirp_dhcp_leases", "gauge")
                    .containsEntry("jslirp_buffer_direct_bytes", "gauge")
                    .containsEntry("jslirp_nat_tcp_host_connect_seconds", "histogram")
                    .containsEntry("jslirp_dns_upstream_seconds", "histogram");
            assertThat(before.value("jslirp_traffic_total", "counter", "frames_from_guest")).isZero();
            assertThat(before.value("jslirp_drops_total", "reason", "ipv4_bad_checksum")).isZero();
            assertThat(before.value("jslirp_guest_attached")).isEqualTo(1);

            rig.guestSpeaks(); // ARP, answered
            rig.fromGuest(GuestFrames.tcp(GuestFrames.GATEWAY,
                    t -> t.from(40000).to(host.getLocalPort()).seq(1000).flags(TcpPacket.SYN).mss(1460)));
            ControlRig.Tcp synAck = rig.expectTcp();
            assertThat(synAck.flags()).isEqualTo(TcpPacket.SYN | TcpPacket.ACK);

            PrometheusText after = PrometheusText.scrape(URI.create(server.url()));
            assertThat(after.value("jslirp_traffic_total", "counter", "frames_from_guest")).isEqualTo(2);
            assertThat(after.value("jslirp_traffic_total", "counter", "arp_replies")).isEqualTo(1);
            assertThat(after.value("jslirp_nat_tcp_total", "counter", "connects")).isEqualTo(1);
            assertThat(after.value("jslirp_tcp_flows")).isEqualTo(1);
            assertThat(after.value("jslirp_memory_limit_bytes")).isEqualTo(256 << 20);
            assertThat(after.value("jslirp_nat_tcp_host_connect_seconds_count")).isEqualTo(1);
            assertThat(after.value("jslirp_nat_tcp_host_connect_seconds_bucket", "le", "+Inf")).isEqualTo(1);
            assertThat(after.value("jslirp_nat_tcp_host_connect_seconds_bucket", "le", "10.0")).isEqualTo(1);
            assertThat(after.value("jslirp_nat_tcp_host_connect_seconds_sum")).isPositive().isLessThan(10);

            String json = rig.ok("info stats json");
            assertThat(json).startsWith("{\"counters\":{\"traffic\":{\"frames_from_guest\":2,")
                    .contains("\"arp_replies\":1").contains("\"nat.tcp\":{").contains("\"connects\":1")
                    .contains("\"tcp_flows\":1")
                    .contains("\"memory_limit_bytes\":268435456")
                    .contains("\"nat.tcp.host_connect\":{\"count\":1,\"sum_seconds\":")
                    .contains("{\"le\":\"+Inf\",\"count\":1}]").endsWith("}}");
            assertThat(json.lines()).hasSize(1);
        }
    }

    @Test
    void aPortInUseIsAnErrorNamingTheAddress() throws Exception {
        try (ControlRig rig = new ControlRig(dir);
             ServerSocket taken = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Endpoint.Inet at = new Endpoint.Inet("tcp", "127.0.0.1", taken.getLocalPort());
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> MetricsServer.start(new NetworkMetrics(rig.network), at))
                    .isInstanceOf(java.io.IOException.class)
                    .hasMessageStartingWith("cannot listen on tcp:127.0.0.1:" + taken.getLocalPort() + ": ")
                    .hasMessageContaining("in use");
        }
    }
}
