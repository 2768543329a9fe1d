package dev.jslirp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.dns.DnsConfig;
import dev.jslirp.guest.NicModel;
import dev.jslirp.guest.QemuGuest;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.stream.StreamClient;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The foundation check — a guest configured with 10.0.2.15/24 resolves the gateway's MAC by ARP
 * and pings the gateway and DNS addresses — over every way QEMU can reach jslirp, and on both
 * NIC models. One guest carries one card per {@link Link}, each attached to its own in-process
 * jslirp network (all on one event loop); a test configures only the card under test, so the
 * cards' shared 10.0.2.0/24 never confuses the guest's routing, and checks that the frames
 * crossed that card's transport and no other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JslirpTransportsGuestTest {
    /** A card of the guest and how it reaches jslirp. */
    enum Link {
        /** virtio-net, {@code -netdev stream,server=off} on a unix socket jslirp listens on. */
        VIRTIO_STREAM_UNIX(NicModel.VIRTIO_NET_PCI, InProcessJslirp.Attachment.STREAM_UNIX_LISTEN),
        /** e1000, the same transport. */
        E1000_STREAM_UNIX(NicModel.E1000, InProcessJslirp.Attachment.STREAM_UNIX_LISTEN),
        /** {@code -netdev stream,server=on}: QEMU listens, jslirp connects. */
        STREAM_QEMU_LISTENS(NicModel.VIRTIO_NET_PCI, InProcessJslirp.Attachment.STREAM_UNIX_CONNECT),
        /** Legacy {@code -netdev socket,connect=} over TCP on 127.0.0.1. */
        LEGACY_SOCKET_TCP(NicModel.VIRTIO_NET_PCI, InProcessJslirp.Attachment.SOCKET_TCP_LISTEN),
        /** {@code -netdev dgram} over UDP on 127.0.0.1. */
        DGRAM_UDP(NicModel.VIRTIO_NET_PCI, InProcessJslirp.Attachment.DGRAM_UDP),
        /** {@code -netdev dgram} over unix datagram sockets. */
        DGRAM_UNIX(NicModel.E1000, InProcessJslirp.Attachment.DGRAM_UNIX);

        final NicModel model;
        final InProcessJslirp.Attachment attachment;

        Link(NicModel model, InProcessJslirp.Attachment attachment) {
            this.model = model;
            this.attachment = attachment;
        }

        String mac() {
            return GuestNic.mac(0x10 + ordinal());
        }

        String netdevId() {
            return "n" + ordinal();
        }
    }

    /** What a guest's kernel sends without being asked, and what the tests cause on purpose. */
    private static final Set<String> EXPECTED_DROPS = Set.of("MLD_IGNORED", "ARP_NOT_FOR_US");

    private final IoTransport io = IoTransport.best();
    private final Map<Link, InProcessJslirp> networks = new LinkedHashMap<>();
    private final Map<Link, String> interfaces = new LinkedHashMap<>();
    private EventLoopGroup group;
    private E2eDnsServer dns;
    private QemuGuest guest;
    private GuestShell sh;

    @BeforeAll
    void boot() {
        group = io.newEventLoopGroup(1);
        dns = E2eDnsServer.start(Map.of());
        List<GuestNic> nics = new ArrayList<>();
        for (Link l : Link.values()) {
            InProcessJslirp net = InProcessJslirp.start(group.next(), io, UserOptions.DEFAULTS,
                    DnsConfig.builder().addUpstream(dns.address()).build(), l.attachment);
            networks.put(l, net);
            nics.add(new GuestNic(l.netdevId(), l.model, l.mac(), net.netdev(l.netdevId())));
        }
        guest = GuestNic.boot(getClass().getSimpleName(), nics, null, null);
        sh = new GuestShell(guest);
        System.out.printf("%s: booted in %d ms (%s) with %s%n", getClass().getSimpleName(),
                guest.bootDuration().toMillis(), guest.accelerator(), nics);
        for (Link l : Link.values()) {
            interfaces.put(l, sh.interfaceWithMac(l.mac()));
        }
        // jslirp connects to a listening QEMU on its own schedule (every 200 ms until it works).
        StreamClient client = (StreamClient) networks.get(Link.STREAM_QEMU_LISTENS).transport();
        assertThat(InProcessJslirp.await(Duration.ofSeconds(10), client::isConnected)).as("jslirp connected to QEMU").isTrue();
    }

    @AfterAll
    void shutDown() {
        try {
            if (guest != null) {
                guest.close();
            }
        } finally {
            networks.values().forEach(InProcessJslirp::close);
            if (dns != null) {
                dns.close();
            }
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }

    @BeforeEach
    void unconfigureAllCards() {
        sh.reset(List.copyOf(interfaces.values()));
    }

    @ParameterizedTest
    @EnumSource(Link.class)
    void staticGuestResolvesGatewayByArpAndPingsGatewayAndDns(Link link) {
        String iface = interfaces.get(link);
        InProcessJslirp net = networks.get(link);
        Map<Link, Long> echoesBefore = echoReplies();
        assertThat(guest.runOk("basename $(readlink /sys/class/net/" + iface + "/device/driver)"))
                .isEqualTo(link.model.guestDriver() + "\n");

        sh.configureStatically(iface, "10.0.2.15");

        assertThat(sh.arpingMac(iface, "10.0.2.2")).isEqualTo("52:55:0a:00:02:02");
        for (String address : List.of("10.0.2.2", "10.0.2.3")) {
            GuestShell.Ping ping = sh.ping(iface, address, 2, 56);
            assertThat(ping.allAnswered()).as(ping.output()).isTrue();
        }
        // A fragmented echo both ways: several frames per datagram across the transport.
        GuestShell.Ping big = sh.ping(iface, "10.0.2.2", 1, 4000);
        assertThat(big.allAnswered()).as(big.output()).isTrue();

        Map<Link, Long> echoes = echoReplies();
        for (Link other : Link.values()) {
            long answered = echoes.get(other) - echoesBefore.get(other);
            assertThat(answered).as("echo replies on %s's network", other).isEqualTo(other == link ? 5 : 0);
        }
        Map<String, Long> c = net.counters();
        assertThat(net.drops().keySet()).as("%s", c).isSubsetOf(EXPECTED_DROPS);
        assertThat(c).as("%s", c).doesNotContainKeys("transport.FOREIGN_DATAGRAMS", "transport.SEND_ERRORS",
                "transport.QUEUE_FULL", "transport.OVERSIZED_FRAMES", "transport.DISCONNECTS",
                "transport.REFUSED_CONNECTIONS");
    }

    private Map<Link, Long> echoReplies() {
        Map<Link, Long> m = new LinkedHashMap<>();
        networks.forEach((l, n) -> m.put(l, n.counter("traffic.ECHO_REPLIES")));
        return m;
    }
}
