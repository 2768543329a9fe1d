package dev.jslirp.cli;

import static dev.jslirp.transport.TestNetwork.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.control.ControlClient;
import dev.jslirp.control.ControlReply;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.QemuStreamPeer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several networks in one jslirp: each its own LAN and addresses, started from the command
 * line or the control socket, listed, inspected and stopped there; guests on each.
 */
class SeveralNetworksTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long MAC_B = MacAddress.parse("52:54:00:12:34:57");
    private static final int IP_B = Ipv4Address.parse("10.0.2.16");

    @TempDir
    Path dir;

    private ControlReply send(Jslirp j, String command) throws IOException {
        try (ControlClient c = ControlClient.connect(new Endpoint.Unix(dir.resolve("ctl")), WAIT)) {
            return c.send(command);
        }
    }

    private String ok(Jslirp j, String command) throws IOException {
        ControlReply r = send(j, command);
        assertThat(r.isOk()).as("%s: %s", command, r.error()).isTrue();
        return String.join("\n", r.lines());
    }

    @Test
    void networksFromTheCommandLineAndTheControlSocketEachServeTheirOwnLan() throws Exception {
        Jslirp.Plan plan = JslirpCommandTest.plan("--listen", "unix:" + dir.resolve("n0.sock"),
                "--control", "unix:" + dir.resolve("ctl"),
                "--network", "id=n1,listen=unix:" + dir.resolve("n1.sock") + ",net=10.0.3.0/24");
        try (Jslirp j = Jslirp.start(plan)) {
            assertThat(j.startupLines()).anySatisfy(l -> assertThat(l).startsWith("network n1: listening on"));
            try (QemuStreamPeer a = QemuStreamPeer.connect(new Endpoint.Unix(dir.resolve("n0.sock")));
                 QemuStreamPeer b = QemuStreamPeer.connect(new Endpoint.Unix(dir.resolve("n1.sock")))) {
                a.assertArpRoundTrip();
                b.assertArpRoundTrip(GuestFrames.GUEST_MAC, Ipv4Address.parse("10.0.3.15"), Ipv4Address.parse("10.0.3.2"));
                // The same MAC on two networks: two LANs, no conflict.
                assertThat(ok(j, "info networks")).contains("n0 ").contains("n1 ").contains("10.0.3.0/24");
                assertThat(ok(j, "info ports n1")).contains("52:54:00:12:34:56").contains("stream unix:");
                assertThat(ok(j, "info usernet")).contains("Hub -1 (n0):").contains("Hub -1 (n1):");
                assertThat(ok(j, "hostfwd_add n1 tcp:127.0.0.1:0-:22")).contains("added");
                assertThat(send(j, "hostfwd_add n9 tcp::0-:22").error()).isEqualTo("unrecognized netdev id 'n9'");

                String added = ok(j, "network_add id=n2,listen=unix:" + dir.resolve("n2.sock") + ",net=10.0.4.0/24");
                assertThat(added).contains("network n2: listening on unix:" + dir.resolve("n2.sock"));
                try (QemuStreamPeer c = QemuStreamPeer.connect(new Endpoint.Unix(dir.resolve("n2.sock")))) {
                    c.assertArpRoundTrip(GuestFrames.GUEST_MAC, Ipv4Address.parse("10.0.4.15"),
                            Ipv4Address.parse("10.0.4.2"));
                    assertThat(send(j, "network_add id=n2,listen=unix:" + dir.resolve("x.sock")).error())
                            .contains("n2 runs already");
                    assertThat(ok(j, "network_remove n2")).isEqualTo("network n2 removed");
                    assertThat(c.closedByJslirp(WAIT)).as("its guest is disconnected").isTrue();
                }
                assertThat(Files.exists(dir.resolve("n2.sock"))).as("its socket file is gone").isFalse();
                assertThat(send(j, "network_remove n2").error()).isEqualTo("unrecognized netdev id 'n2'");
                assertThat(send(j, "network_add id=n3,net=10.0.5.0/24").error()).contains("no transport");
                a.assertArpRoundTrip();
            }
        }
    }

    @Test
    void leasesAndPortsAreListedAndAForwardFollowsAGuestByName() throws Exception {
        Jslirp.Plan plan = JslirpCommandTest.plan("--listen", "unix:" + dir.resolve("n0.sock"),
                "--control", "unix:" + dir.resolve("ctl"), "--domainname", "lan.test",
                "--listen", "unix:" + dir.resolve("isolated.sock") + ",isolated=on");
        try (Jslirp j = Jslirp.start(plan);
             QemuStreamPeer a = QemuStreamPeer.connect(new Endpoint.Unix(dir.resolve("n0.sock")));
             QemuStreamPeer b = QemuStreamPeer.connect(new Endpoint.Unix(dir.resolve("isolated.sock")))) {
            a.assertArpRoundTrip();
            b.assertArpRoundTrip(MAC_B, IP_B);
            String ports = ok(j, "info ports");
            assertThat(ports).contains("52:54:00:12:34:56").contains("52:54:00:12:34:57")
                    .contains("isolated=on").contains("stream unix:" + dir.resolve("isolated.sock"));
            // The forward resolves the guest when a host client connects: no lease named vm1 yet.
            assertThat(ok(j, "hostfwd_add tcp:127.0.0.1:0-vm1:22")).contains("added");
            assertThat(ok(j, "hostfwd_add tcp:127.0.0.1:0-[52:54:00:12:34:57]:22")).contains("added");
            assertThat(ok(j, "info usernet")).contains("TCP[HOST_FORWARD]");
            assertThat(ok(j, "info leases")).contains("Hostname");
        }
    }
}
