package dev.jslirp.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real DHCP client, busybox udhcpc, configuring an interface from the server: the
 * client runs on one end of a veth pair in a network namespace this test creates; a
 * bridge script (src/test/scripts/netns_stream_bridge.py) carries the other end's
 * frames to the server over QEMU's stream protocol on 127.0.0.1. udhcpc's own
 * script reports what it was given. Needs root, iproute2 and busybox (CI installs
 * busybox-static); without them the test fails and says so.
 */
class DhcpUdhcpcTest {

    @Test
    void busyboxUdhcpcGetsLeaseWithEveryOptionAndReleasesIt(@TempDir Path tmp) throws Exception {
        String python = PythonScript.pythonWithScapy();
        requireTool("ip", "-V");
        requireTool("busybox", "udhcpc", "--help");
        Path report = tmp.resolve("udhcpc.env");
        Path log = tmp.resolve("udhcpc.log");
        Path script = tmp.resolve("udhcpc-script.sh");
        Files.writeString(script, "#!/bin/sh\n"
                + "[ \"$1\" = bound ] || exit 0\n"
                // Configure the address as a real script does: the RELEASE on exit is sent from it.
                + "busybox ifconfig \"$interface\" \"$ip\" netmask \"$subnet\" broadcast \"$broadcast\"\n"
                + "for v in ip subnet broadcast router dns serverid lease domain hostname mtu search siaddr boot_file"
                + " tftp bootfile; do eval \"echo $v=\\$$v\"; done > " + report + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

        String ns = "jslirp-dhcp-" + ProcessHandle.current().pid();
        DhcpConfig dhcp = DhcpConfig.builder().hostname("vm1").domainName("corp.example")
                .addDnsSearch("eng.apple.com").addDnsSearch("marketing.apple.com")
                .tftpServerName("10.0.2.2").bootfile("pxelinux.0").build();
        Process bridge = null;
        Process udhcpc = null;
        try (StreamServer server = new StreamServer(NetworkConfig.defaults(), new DhcpServer(dhcp))) {
            sh("ip", "netns", "add", ns);
            sh("ip", "-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
            sh("ip", "-n", ns, "link", "set", "v1", "address", "52:54:00:12:34:56");
            sh("ip", "-n", ns, "link", "set", "v0", "up");
            sh("ip", "-n", ns, "link", "set", "v1", "up");
            bridge = new ProcessBuilder(python, "src/test/scripts/netns_stream_bridge.py", "--port",
                    Integer.toString(server.port()), "--netns", ns, "--iface", "v0")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader ready = new BufferedReader(new InputStreamReader(bridge.getInputStream(), StandardCharsets.UTF_8));
            assertThat(ready.readLine()).as("bridge start").isEqualTo("ready");

            // -f foreground, -R release on exit (SIGTERM); `ip netns exec` execs udhcpc, so
            // the process we started is udhcpc itself.
            udhcpc = new ProcessBuilder("ip", "netns", "exec", ns, "busybox", "udhcpc", "-i", "v1", "-f", "-R",
                    "-t", "4", "-T", "2", "-A", "2", "-s", script.toString(), "-x", "hostname:vm1")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(report) && udhcpc.isAlive() && System.nanoTime() < bound) {
                Thread.sleep(20);
            }
            Thread.sleep(200);   // the script writes the report in one go; let it finish
            udhcpc.destroy();
            assertThat(udhcpc.waitFor(10, TimeUnit.SECONDS)).as("udhcpc ends on SIGTERM").isTrue();
            String out = Files.readString(log);
            assertThat(out).contains("lease of 10.0.2.15 obtained", "unicasting a release");

            Map<String, String> got = new LinkedHashMap<>();
            for (String line : Files.readAllLines(report)) {
                int eq = line.indexOf('=');
                got.put(line.substring(0, eq), line.substring(eq + 1));
            }
            assertThat(got).containsEntry("ip", "10.0.2.15")
                    .containsEntry("subnet", "255.255.255.0")
                    .containsEntry("broadcast", "10.0.2.255")
                    .containsEntry("router", "10.0.2.2")
                    .containsEntry("dns", "10.0.2.3")
                    .containsEntry("serverid", "10.0.2.2")
                    .containsEntry("lease", "86400")
                    .containsEntry("domain", "corp.example")
                    .containsEntry("hostname", "vm1")
                    .containsEntry("mtu", "1500")
                    .containsEntry("search", "eng.apple.com marketing.apple.com")
                    .containsEntry("siaddr", "10.0.2.2")
                    .containsEntry("boot_file", "pxelinux.0")
                    .containsEntry("tftp", "10.0.2.2")
                    .containsEntry("bootfile", "pxelinux.0");

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Map<String, Long> counters;
            do {
                counters = server.network().eventLoop()
                        .submit(() -> server.network().stats().service("dhcp", DhcpCounter.class).snapshot()).get();
                Thread.sleep(20);
            } while (!counters.containsKey("LEASE_RELEASED") && System.nanoTime() < deadline);
            Map<String, Long> all = server.network().eventLoop().submit(() -> server.network().stats().snapshot()).get();
            assertThat(counters).as("udhcpc said: %s; network: %s", out, all).containsEntry("DISCOVER", 1L).containsEntry("OFFER_SENT", 1L)
                    .containsEntry("REQUEST", 1L).containsEntry("ACK_SENT", 1L)
                    .containsEntry("RELEASE", 1L).containsEntry("LEASE_RELEASED", 1L);
        } finally {
            if (udhcpc != null) {
                udhcpc.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            if (bridge != null) {
                bridge.destroy();
                if (!bridge.waitFor(5, TimeUnit.SECONDS)) {
                    bridge.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
            new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Runs a command, returns stdout and stderr together; fails the test on a non-zero exit. */
    private static String sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish; output: " + out);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + p.exitValue() + " (this test needs root,"
                    + " iproute2 and busybox-static); output: " + out);
        }
        return out;
    }

    private static void requireTool(String... probe) throws InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(probe));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new AssertionError("This test needs '" + probe[0] + "' (Debian: iproute2, busybox-static): " + e);
        }
    }
}
