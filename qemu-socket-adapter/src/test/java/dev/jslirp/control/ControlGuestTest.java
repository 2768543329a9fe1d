package dev.jslirp.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.dns.DnsConfig;
import dev.jslirp.e2e.E2eDnsServer;
import dev.jslirp.e2e.GuestNic;
import dev.jslirp.e2e.GuestShell;
import dev.jslirp.e2e.InProcessJslirp;
import dev.jslirp.e2e.UserOptions;
import dev.jslirp.guest.NicModel;
import dev.jslirp.guest.QemuGuest;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Linux guest under QEMU attached to a network in the test JVM, changed at run
 * time through the control socket as a QEMU user would through the monitor: a forward to
 * the guest's busybox httpd is added with {@code jslirp control}, serves the host, shows
 * in {@code info usernet}, and once removed refuses new connections while the one
 * already accepted goes on (as QEMU's {@code hostfwd_remove}).
 */
class ControlGuestTest {
    private static final String PAGE = "served-by-the-guest";
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    /** {@code jslirp control ADDR WORDS...}, which must succeed; its standard output. */
    private static String control(Endpoint addr, String... words) {
        String[] args = new String[words.length + 2];
        args[0] = "control";
        args[1] = addr.toString();
        System.arraycopy(words, 0, args, 2, words.length);
        ControlClientCommandTest.Result r = ControlClientCommandTest.run("", args);
        assertThat(r.exitCode()).as("jslirp control %s: %s", String.join(" ", words), r.err()).isZero();
        return r.out();
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(30_000);
        return s;
    }

    /** Sends an HTTP/1.0 GET for / on {@code s} and returns the whole response. */
    private static String get(Socket s) throws IOException {
        s.getOutputStream().write("GET / HTTP/1.0\r\nHost: guest\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) >= 0) {
            body.write(buf, 0, n);
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void forwardToTheGuestsHttpdAddedAtRunTimeServesTheHostUntilRemoved() throws Exception {
        IoTransport io = IoTransport.best();
        EventLoopGroup group = io.newEventLoopGroup(1);
        try (E2eDnsServer dns = E2eDnsServer.start(Map.of());
             InProcessJslirp jslirp = InProcessJslirp.start(group.next(), io, UserOptions.DEFAULTS,
                     DnsConfig.builder().addUpstream(dns.address()).build(),
                     InProcessJslirp.Attachment.STREAM_UNIX_LISTEN);
             ControlServer server = ControlServer.start(jslirp.network(), "n0", io,
                     new Endpoint.Unix(dir.resolve("control.sock")));
             QemuGuest guest = GuestNic.boot(getClass().getSimpleName(),
                     List.of(new GuestNic("n0", NicModel.VIRTIO_NET_PCI, QemuGuest.DEFAULT_MAC, jslirp.netdev("n0"))),
                     null, null)) {
            Endpoint addr = server.endpoint();
            assertThat(new GuestShell(guest).dhcp("eth0")).containsEntry("ip", "10.0.2.15");
            guest.runOk("mkdir -p /www && echo " + PAGE + " > /www/index.html && httpd -p 80 -h /www");

            String added = control(addr, "hostfwd_add", "n0", "tcp:127.0.0.1:0-:80");
            Matcher m = LISTENING.matcher(added);
            assertThat(m.find()).as(added).isTrue();
            int port = Integer.parseInt(m.group(1));

            try (Socket first = connect(port)) {
                assertThat(get(first)).startsWith("HTTP/1.").contains(PAGE);
            }

            try (Socket held = connect(port)) {
                // The connection is up once the guest's httpd accepted it; until then the row says SYN_SENT.
                String row = null;
                for (int i = 0; i < 100 && row == null; i++) {
                    row = control(addr, "info", "usernet").lines()
                            .filter(l -> l.startsWith("  TCP[ESTABLISHED]")).findFirst().orElse(null);
                    if (row == null) {
                        Thread.sleep(50);
                    }
                }
                assertThat(row).as("an established row for the held connection").isNotNull();
                assertThat(row.trim().split(" +")).as(row)
                        .satisfies(f -> assertThat(f[2]).as("from the gateway").isEqualTo("10.0.2.2"))
                        .satisfies(f -> assertThat(f[4]).as("to the guest").isEqualTo("10.0.2.15"))
                        .satisfies(f -> assertThat(f[5]).as("port 80").isEqualTo("80"));
                assertThat(control(addr, "info", "usernet")).contains(
                        String.format("  TCP[HOST_FORWARD]  -1       127.0.0.1 %5d       10.0.2.15    80     0     0", port));

                assertThat(control(addr, "hostfwd_remove", "n0", "tcp:127.0.0.1:" + port))
                        .isEqualTo("host forwarding rule for tcp:127.0.0.1:" + port + " removed" + System.lineSeparator());
                assertThatThrownBy(() -> connect(port).close()).isInstanceOf(ConnectException.class);
                assertThat(get(held)).as("a connection accepted before the removal goes on").contains(PAGE);
            }
            assertThat(control(addr, "info", "usernet")).doesNotContain("HOST_FORWARD");
            assertThat(jslirp.counter("nat.tcp.FORWARD_ACCEPTED")).isEqualTo(2);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
