package dev.jslirp.e2e.ipv6;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.e2e.GuestNic;
import dev.jslirp.e2e.GuestShell;
import dev.jslirp.e2e.nat.Blob;
import dev.jslirp.e2e.nat.BlobHttpServer;
import dev.jslirp.e2e.nat.HostSide;
import dev.jslirp.e2e.nat.NatShell;
import dev.jslirp.e2e.nat.UdpEchoServer;
import dev.jslirp.guest.GuestResult;
import dev.jslirp.guest.QemuGuest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * IPv6 as a guest gets it, checked with a real Linux guest and written once for jslirp
 * ({@link JslirpIpv6GuestTest}) and QEMU's own {@code -netdev user}, libslirp
 * ({@link LibslirpIpv6GuestTest}), with the same options. Where the two differ, the subclass
 * says what it expects in an {@code expected...} method, with the reason; everything else
 * must match.
 *
 * <h2>Who talks to whom</h2>
 * <ul>
 *   <li>The guest's own kernel configures IPv6: link-local address, router solicitation, SLAAC
 *       from the advertisement, default route. Nothing is configured by hand.</li>
 *   <li>The host: servers on ::1 of the backend's {@link HostSide} (the test JVM's namespace for
 *       jslirp, libslirp's sandbox), reached by the guest at the host address of the card's
 *       prefix (fec0::2): {@link BlobHttpServer} and {@link UdpEchoServer}.</li>
 *   <li>DNS: the backend's upstream on the host's loopback answers AAAA (and A) for
 *       {@value #NAME}; the guest asks the DNS address of the card's prefix (fec0::3).</li>
 *   <li>The guest's busybox httpd, reached from a host client on ::1 through an IPv6 port
 *       forward where the backend has one.</li>
 * </ul>
 *
 * <h2>One boot, two cards</h2>
 * <p>The guest has a virtio-net and an e1000 card, each on a network of its own with a prefix
 * of its own ({@link Card}), both up for the whole class; every check runs once per card.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class Ipv6GuestComparison {
    /** The name the upstream DNS server answers, and its addresses (documentation ranges). */
    static final String NAME = "www.v6.test";
    static final String NAME_IPV6 = "2001:db8::80";
    static final String NAME_IPV4 = "192.0.2.80";
    static final int BLOB_BYTES = 1 << 20;
    static final int GUEST_FILE_BYTES = 64 << 10;
    /** What the guest's SLAAC may take under TCG: DAD of the link-local address, RS, RA, DAD again. */
    static final int SLAAC_WAIT_SECONDS = 30;
    private static final Pattern NSLOOKUP_ADDRESS = Pattern.compile("(?m)^Address: *([0-9a-fA-F:.]+)$");

    HostSide host;
    BlobHttpServer http;
    UdpEchoServer udpEcho;
    QemuGuest guest;
    GuestShell sh;
    NatShell nat;
    String guestFileSha;
    final Map<Card, String> ifaces = new EnumMap<>(Card.class);

    // ------------------------------------------------------------------ what a backend provides

    /** Starts what runs before QEMU, with an upstream DNS server that knows {@code answers}. */
    abstract HostSide startBackend(Map<String, String> answers) throws Exception;

    /** The {@code -netdev} value for {@code card}'s network. */
    abstract String netdev(Card card);

    /** The QEMU executable (e.g. a wrapper entering a namespace), or null for the default. */
    abstract String qemuBinary();

    /** The queries the upstream DNS server received so far, as {@code "NAME TYPE"}. */
    abstract List<String> upstreamQueries();

    /** Stops what {@link #startBackend} started; QEMU is gone already. */
    abstract void stopBackend();

    /**
     * The port on the host's ::1 forwarded to the guest's httpd on {@code card}'s network at
     * the guest's IPv6 address, or empty if the backend has no IPv6 port forwards.
     */
    abstract OptionalInt ipv6ForwardPort(Card card);

    // ------------------------------------------------------------------ expected differences

    /** What udptool reports for a 4000-byte datagram to the host's ::1 echo: fragments both ways. */
    abstract String expectedFragmentedUdpResult();

    /** True if the backend has IPv6 port forwards ({@link #ipv6ForwardPort}). */
    abstract boolean expectedIpv6PortForwards();

    // ------------------------------------------------------------------ lifecycle

    @BeforeAll
    void boot() throws Exception {
        host = startBackend(Map.of(NAME, NAME_IPV6 + "," + NAME_IPV4));
        http = host.call(() -> BlobHttpServer.on(ipv6LoopbackServer(), Blob.random(6, BLOB_BYTES)));
        udpEcho = host.call(() -> UdpEchoServer.on(new DatagramSocket(new InetSocketAddress(ipv6Loopback(), 0))));
        List<GuestNic> nics = new ArrayList<>();
        for (Card c : Card.values()) {
            nics.add(new GuestNic(c.id(), c.model, c.mac, netdev(c)));
        }
        guest = GuestNic.boot(getClass().getSimpleName(), nics, null, qemuBinary());
        sh = new GuestShell(guest);
        nat = new NatShell(guest);
        System.out.printf("%s: booted in %d ms (%s), transcript %s%n", getClass().getSimpleName(),
                guest.bootDuration().toMillis(), guest.accelerator(), guest.transcriptPath());
        for (Card c : Card.values()) {
            String iface = sh.interfaceWithMac(c.mac);
            ifaces.put(c, iface);
            guest.linkUp(iface);      // from here on the guest's kernel configures IPv6 by itself
        }
        guestFileSha = nat.startServers(GUEST_FILE_BYTES);
    }

    static InetAddress ipv6Loopback() throws IOException {
        return InetAddress.getByName("::1");
    }

    private static ServerSocket ipv6LoopbackServer() throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(ipv6Loopback(), 0), 64);
        return s;
    }

    @AfterAll
    void shutDown() {
        try {
            GuestNic.stop(guest);
        } finally {
            try {
                for (AutoCloseable s : new AutoCloseable[] {http, udpEcho}) {
                    if (s != null) {
                        s.close();
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                stopBackend();
            }
        }
    }

    /**
     * Waits until the guest's kernel has the SLAAC address on {@code card}'s interface (past
     * duplicate address detection) and returns {@code ip -6 addr} and {@code ip -6 route} of it.
     */
    String awaitSlaac(Card card) {
        String iface = ifaces.get(card);
        String addr = card.slaacAddress();
        GuestResult r = guest.run("i=0; until ip -6 addr show dev " + iface + " | grep -q 'inet6 " + addr + "/64 '"
                + " && ! ip -6 addr show dev " + iface + " | grep -q tentative; do i=$((i+1)); [ $i -le "
                + SLAAC_WAIT_SECONDS * 5 + " ] || break; sleep 0.2; done; ip -6 addr show dev " + iface
                + "; ip -6 route show dev " + iface, Duration.ofSeconds(SLAAC_WAIT_SECONDS + 30));
        return r.output();
    }

    // ------------------------------------------------------------------ the checks

    @ParameterizedTest
    @EnumSource(Card.class)
    void guestGetsItsSlaacAddressInThePrefixAndADefaultRouteViaTheRouter(Card card) {
        String out = awaitSlaac(card);

        // fec0::/10 is site-local (RFC 3513, deprecated by RFC 3879 but still QEMU's default),
        // hence "scope site"; busybox ip shows no route protocol.
        assertThat(out).as("SLAAC address").containsPattern("inet6 " + Pattern.quote(card.slaacAddress())
                + "/64 scope (site|global) dynamic");
        assertThat(out).as("no duplicate address").doesNotContain("tentative").doesNotContain("dadfailed");
        assertThat(out).as("default route from the advertisement")
                .containsPattern("(?m)^default via fe80::2 dev " + ifaces.get(card) + " ");
        assertThat(out).as("the prefix on-link").containsPattern("(?m)^" + Pattern.quote(card.prefix()) + "/64 dev ");
    }

    @ParameterizedTest
    @EnumSource(Card.class)
    void pingToTheHostAddressIsAnswered(Card card) {
        awaitSlaac(card);

        GuestShell.Ping p = sh.ping(ifaces.get(card), card.host(), 3, 56);

        assertThat(p.allAnswered()).as(p.output()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Card.class)
    void wgetThroughTheHostAddressReachesAServiceOnTheHostsIpv6Loopback(Card card) {
        awaitSlaac(card);
        long before = http.requestCount("/blob");

        NatShell.Transfer t = nat.download("http://[" + card.host() + "]:" + http.port() + "/blob");

        assertThat(t.sha256()).as(t.output()).isEqualTo(http.blob().sha256());
        assertThat(http.requestCount("/blob")).isEqualTo(before + 1);
    }

    @ParameterizedTest
    @EnumSource(Card.class)
    void udpThroughTheHostAddressReachesAnEchoOnTheHostsIpv6LoopbackAndBack(Card card) {
        awaitSlaac(card);
        int before = udpEcho.echoed().size();

        NatShell.UdpExchange small = nat.udpEcho(card.host(), udpEcho.port(), 100, 3, 2000);
        NatShell.UdpExchange large = nat.udpEcho(card.host(), udpEcho.port(), 4000, 1, 2000);

        assertThat(small.allEchoed()).as(small.output()).isTrue();
        assertThat(udpEcho.echoed().subList(before, udpEcho.echoed().size()))
                .as("the host's echo saw the guest's datagrams from ::1").extracting(UdpEchoServer.Echo::from)
                .allMatch(from -> from.startsWith("0:0:0:0:0:0:0:1%") || from.startsWith("0:0:0:0:0:0:0:1:"));
        assertThat(large.results()).as(large.output()).containsExactly(expectedFragmentedUdpResult());
    }

    @ParameterizedTest
    @EnumSource(Card.class)
    void aaaaLookupThroughTheDnsAddressIsAnsweredByTheUpstream(Card card) {
        awaitSlaac(card);
        int before = upstreamQueries().size();

        GuestResult r = guest.run("nslookup -type=AAAA " + NAME + " " + card.dns(), GuestShell.NET_TIMEOUT);

        String out = r.output();
        int answers = out.indexOf("Name:");
        List<String> addresses = new ArrayList<>();
        Matcher m = NSLOOKUP_ADDRESS.matcher(answers < 0 ? "" : out.substring(answers));
        while (m.find()) {
            addresses.add(m.group(1));
        }
        assertThat(r.isOk()).as(out).isTrue();
        assertThat(addresses).as(out).containsExactly(NAME_IPV6);
        assertThat(upstreamQueries().subList(before, upstreamQueries().size())).as("what the upstream was asked")
                .contains(NAME + ". AAAA");
    }

    @ParameterizedTest
    @EnumSource(Card.class)
    void aHostClientOnIpv6LoopbackReachesTheGuestThroughAnIpv6PortForward(Card card) throws Exception {
        awaitSlaac(card);
        OptionalInt port = ipv6ForwardPort(card);

        assertThat(port.isPresent()).as("IPv6 port forwards").isEqualTo(expectedIpv6PortForwards());
        if (port.isPresent()) {
            for (int i = 0; i < 3; i++) {
                byte[] body = getFromIpv6Loopback(port.getAsInt(), NatShell.GUEST_FILE);
                assertThat(Blob.sha256(body, body.length)).as("request %d", i).isEqualTo(guestFileSha);
            }
        }
    }

    /** {@code GET path} from a client on the host's ::1 to [::1]:{@code port}; the body. */
    byte[] getFromIpv6Loopback(int port, String path) {
        return host.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(ipv6Loopback(), port), 60_000);
                s.setSoTimeout(60_000);
                s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: guest\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                byte[] all = s.getInputStream().readAllBytes();
                String text = new String(all, StandardCharsets.ISO_8859_1);
                int end = text.indexOf("\r\n\r\n");
                if (end < 0 || !text.startsWith("HTTP/1.")) {
                    throw new AssertionError("no HTTP response in " + all.length + " bytes: "
                            + text.substring(0, Math.min(200, text.length())));
                }
                assertThat(text.substring(0, text.indexOf("\r\n"))).contains(" 200 ");
                return Arrays.copyOfRange(all, end + 4, all.length);
            } catch (IOException e) {
                throw new UncheckedIOException("GET [::1]:" + port + path, e);
            }
        });
    }
}
