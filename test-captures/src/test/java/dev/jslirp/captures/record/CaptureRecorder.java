package dev.jslirp.captures.record;

import dev.jslirp.e2e.NetnsSandbox;
import dev.jslirp.guest.QemuGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Records the captures test-captures replays: a real guest (the test image: Debian's
 * kernel and busybox, {@link QemuGuest}) on QEMU's own {@code -netdev user} (libslirp),
 * every frame of its card written by QEMU's {@code filter-dump}. QEMU runs in a network
 * namespace ({@link NetnsSandbox}) whose 127.0.0.1 holds the scenario's host peers and a
 * DNS server with fixed answers: libslirp's DNS and its 10.0.2.2 lead there, never to
 * this machine's resolver or network.
 *
 * <pre>
 *   test-captures/record.sh SCENARIO...     (root: it creates the namespace)
 * </pre>
 * Not a test: run by hand when a capture is added or re-recorded; README.md beside the
 * captures notes what each was recorded with. The replay tests use the committed files.
 */
public final class CaptureRecorder {
    /** The guest's static address in the scenarios that do not ask DHCP. */
    private static final String STATIC = "ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; "
            + "ip route add default via 10.0.2.2";
    /** The names the namespace's DNS server answers. */
    public static final Map<String, String> DNS_ANSWERS = Map.of("files.example.test", "192.0.2.80",
            "www.example.test", "192.0.2.81");
    public static final int TCP_PORT = 5555;
    public static final int FWD_HOST_PORT = 5556;
    public static final int FWD_GUEST_PORT = 7777;
    public static final int UDP_PORT = 5557;

    private CaptureRecorder() {
    }

    /** Records each scenario named in {@code args} into {@code captures/guest-SCENARIO.pcap} under the directory given by {@code -Dout}. */
    public static void main(String[] args) throws Exception {
        Path out = Paths.get(System.getProperty("out", "test-captures/src/test/resources/captures"));
        for (String scenario : args) {
            Path file = out.resolve("guest-" + scenario + ".pcap");
            record(scenario, file);
            System.out.println("recorded " + file + " (" + Files.size(file) + " bytes)");
        }
    }

    static void record(String scenario, Path file) throws Exception {
        Files.deleteIfExists(file);
        try (NetnsSandbox ns = NetnsSandbox.create(DNS_ANSWERS)) {
            String netdev = "user,id=n0" + (scenario.equals("hostfwd")
                    ? ",hostfwd=tcp:127.0.0.1:" + FWD_HOST_PORT + "-:" + FWD_GUEST_PORT : "");
            List<Process> peers = new ArrayList<>();
            try {
                switch (scenario) {
                    case "tcp" -> peers.add(inNamespace(ns, TCP_SERVER.replace("PORT", "" + TCP_PORT)));
                    case "fragments" -> peers.add(inNamespace(ns, UDP_ECHO.replace("PORT", "" + UDP_PORT)));
                    default -> { }
                }
                try (QemuGuest guest = QemuGuest.builder().name("record-" + scenario).netdev(netdev)
                        .qemuBinary(ns.qemuWrapper()).pcap(file).commandTimeout(Duration.ofSeconds(60)).start()) {
                    run(scenario, guest, ns);
                    guest.runOk("sleep 1");
                }
            } finally {
                for (Process p : peers) {
                    p.destroy();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static void run(String scenario, QemuGuest guest, NetnsSandbox ns) throws Exception {
        switch (scenario) {
            case "dhcp" -> guest.runOk("ip link set eth0 up; udhcpc -i eth0 -q -n -t 5 -T 2 -s /bin/true");
            case "dns" -> guest.runOk(STATIC + "; nslookup files.example.test 10.0.2.3; "
                    + "nslookup missing.example.test 10.0.2.3 || true");
            case "tcp" -> guest.runOk(STATIC + "; echo 'hello from the guest' | nc 10.0.2.2 " + TCP_PORT);
            case "hostfwd" -> {
                guest.runOk(STATIC + "; (echo 'hello from the guest' | nc -l -p " + FWD_GUEST_PORT + " > /tmp/got &)"
                        + "; sleep 1");
                Process client = inNamespace(ns, TCP_CLIENT.replace("PORT", "" + FWD_HOST_PORT));
                if (!client.waitFor(60, TimeUnit.SECONDS) || client.exitValue() != 0) {
                    throw new IllegalStateException("the host client failed: "
                            + new String(client.getInputStream().readAllBytes()));
                }
                guest.runOk("sleep 1; cat /tmp/got");
            }
            case "fragments" -> guest.runOk(STATIC + "; udptool send 10.0.2.2 " + UDP_PORT + " 4000 1 5000");
            case "ipv6" -> guest.runOk("ip link set eth0 up; sleep 4; ip -6 addr show dev eth0; "
                    + "ping6 -c 1 -s 56 fec0::2; nslookup files.example.test fec0::3 || true");
            default -> throw new IllegalArgumentException("no scenario '" + scenario
                    + "' (dhcp, dns, tcp, hostfwd, fragments, ipv6)");
        }
    }

    private static Process inNamespace(NetnsSandbox ns, String python) throws IOException {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns.name(), "python3", "-c", python)
                .redirectErrorStream(true).start();
        try {
            Thread.sleep(500);      // listening before the guest connects
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return p;
    }

    /** Reads a line, answers two lines, closes: the host end of guest-tcp.pcap. */
    private static final String TCP_SERVER = String.join("\n",
            "import socket",
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('127.0.0.1', PORT)); s.listen(1)",
            "c, _ = s.accept(); f = c.makefile('rb'); line = f.readline()",
            "c.sendall(b'hello from the host\\n' + line.upper()); c.close()");

    /** Sends a line to the forwarded port and reads until the guest closes. */
    private static final String TCP_CLIENT = String.join("\n",
            "import socket",
            "c = socket.create_connection(('127.0.0.1', PORT), timeout=30)",
            "c.sendall(b'hello from the host\\n'); c.shutdown(socket.SHUT_WR)",
            "data = b''",
            "while True:",
            "    b = c.recv(4096)",
            "    if not b: break",
            "    data += b",
            "print(data.decode())");

    /** Echoes every datagram: the host end of guest-fragments.pcap. */
    private static final String UDP_ECHO = String.join("\n",
            "import socket",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', PORT))",
            "while True:",
            "    d, a = s.recvfrom(65535); s.sendto(d, a)");
}
