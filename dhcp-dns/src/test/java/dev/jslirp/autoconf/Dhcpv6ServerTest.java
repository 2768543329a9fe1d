package dev.jslirp.autoconf;

import static dev.jslirp.autoconf.Dhcpv6Frames.CLIENT_DUID;
import static dev.jslirp.autoconf.Dhcpv6Frames.informationRequest;
import static dev.jslirp.core.testkit.GuestFrames6.GUEST6;
import static dev.jslirp.core.testkit.GuestFrames6.HOST6;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.autoconf.Dhcpv6Frames.Message;
import dev.jslirp.autoconf.Dhcpv6Frames.Reply;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.dhcp.DhcpConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stateless DHCPv6 server through the whole network: what an Information-request gets
 * (RFC 8415 section 18.3.6), which messages get nothing (section 16.12, the stateful ones),
 * and malformed messages dropped and counted.
 */
class Dhcpv6ServerTest {
    static final DhcpConfig CONFIG = DhcpConfig.builder().addDnsSearch("corp.example").addDnsSearch("lab.test")
            .bootfile("pxe.efi").build();
    /** DUID-LL of the gateway's MAC 52:55:0a:00:02:02. */
    static final String SERVER_DUID = "00030001" + "52550a000202";

    /** Records what the services after the DHCPv6 server are offered. */
    static final class Next implements GuestService {
        final List<String> seen = new ArrayList<>();

        @Override
        public boolean handle(GuestPacket p) {
            seen.add(p.destination() + ":" + (p.protocol() == GuestPacket.PROTO_UDP ? p.udp().destinationPort() : -1));
            return true;
        }
    }

    static VirtualGuest guest(NetworkConfig net, DhcpConfig dhcp, Next next) {
        return VirtualGuest.embedded(net, new Dhcpv6Server(dhcp), next);
    }

    static Counters<Dhcpv6Counter> counters(VirtualGuest g) {
        return g.network().stats().service("dhcpv6", Dhcpv6Counter.class);
    }

    static Reply exchange(VirtualGuest g, Message m) throws Exception {
        g.send(m.frame());
        Reply r = Reply.decode(g.expectFrame());
        g.expectNothing();
        return r;
    }

    /** A datagram to the server carrying {@code message} as it is. */
    static io.netty.buffer.ByteBuf udp(byte[] message) {
        return dev.jslirp.core.testkit.GuestFrames6.udp(dev.jslirp.core.testkit.GuestFrames6.GUEST6_LL, 546,
                Dhcpv6Frames.ALL_SERVERS, 547, message);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Test
    void informationRequestGetsTheDnsServerSearchListAndBootFileItAskedFor() throws Exception {
        try (VirtualGuest g = guest(NetworkConfig.defaults(), CONFIG, new Next())) {
            Reply r = exchange(g, informationRequest(0xabcdef).clientId().oro(23, 24, 59));

            assertThat(r.type()).isEqualTo(7);
            assertThat(r.xid()).isEqualTo(0xabcdef);
            assertThat(r.ipSource()).as("to a link-local client, from the router's link-local address")
                    .isEqualTo("fe80:0:0:0:0:0:0:2");
            assertThat(r.ipDestination()).isEqualTo("fe80:0:0:0:5054:ff:fe12:3456");
            assertThat(r.sourcePort()).isEqualTo(547);
            assertThat(r.destinationPort()).isEqualTo(546);
            assertThat(r.options().keySet()).containsExactly(2, 1, 23, 24, 59);
            assertThat(hex(r.options().get(2))).isEqualTo(SERVER_DUID);
            assertThat(r.options().get(1)).isEqualTo(CLIENT_DUID);
            assertThat(hex(r.options().get(23))).isEqualTo("fec00000000000000000000000000003");
            assertThat(ReceivedAdvertisement.names(r.options().get(24), 0)).containsExactly("corp.example", "lab.test");
            assertThat(new String(r.options().get(59), StandardCharsets.US_ASCII)).isEqualTo("tftp://[fec0::2]/pxe.efi");
            assertThat(counters(g).snapshot()).containsEntry("INFORMATION_REQUEST", 1L).containsEntry("REPLY_SENT", 1L)
                    .hasSize(2);
        }
    }

    @Test
    void onlyTheIdentifiersWithoutAnOptionRequestAndTheHostAddressForAGlobalClient() throws Exception {
        try (VirtualGuest g = guest(NetworkConfig.defaults(), CONFIG, new Next())) {
            g.send(informationRequest(7).frame(GUEST6, Dhcpv6Frames.ALL_SERVERS));
            Reply r = Reply.decode(g.expectFrame());
            assertThat(r.ipSource()).isEqualTo("fec0:0:0:0:0:0:0:2");
            assertThat(r.ipDestination()).isEqualTo("fec0:0:0:0:5054:ff:fe12:3456");
            assertThat(r.options().keySet()).containsExactly(2);
        }
    }

    @Test
    void aBootFileUrlIsPassedOnAsItIsAndNoneIsSentWithoutBootfile() throws Exception {
        DhcpConfig http = DhcpConfig.builder().bootfile("http://10.0.2.2:8080/boot.efi").build();
        try (VirtualGuest g = guest(NetworkConfig.defaults(), http, new Next())) {
            Reply r = exchange(g, informationRequest(1).oro(59, 24));
            assertThat(new String(r.options().get(59), StandardCharsets.US_ASCII)).isEqualTo("http://10.0.2.2:8080/boot.efi");
            assertThat(r.options()).as("no search domains configured").doesNotContainKey(24);
        }
        try (VirtualGuest g = guest(NetworkConfig.defaults(), DhcpConfig.defaults(), new Next())) {
            assertThat(exchange(g, informationRequest(1).oro(23, 59)).options().keySet()).containsExactly(2, 23);
        }
    }

    @Test
    void restrictOnGivesNoDnsServerAndNoSearchList() throws Exception {
        try (VirtualGuest g = guest(NetworkConfig.builder().restrict(true).build(), CONFIG, new Next())) {
            assertThat(exchange(g, informationRequest(1).oro(23, 24, 59)).options().keySet()).containsExactly(2, 59);
        }
    }

    @Test
    void ourOwnServerIdentifierIsAnsweredAnotherServersIsNot() throws Exception {
        try (VirtualGuest g = guest(NetworkConfig.defaults(), CONFIG, new Next())) {
            byte[] ours = HexFormat.of().parseHex(SERVER_DUID);
            assertThat(exchange(g, informationRequest(1).option(2, ours).oro(23)).options()).containsKey(23);
            byte[] other = ours.clone();
            other[9]++;
            g.send(informationRequest(2).option(2, other).oro(23).frame());
            g.expectNothing();
            assertThat(counters(g).get(Dhcpv6Counter.OTHER_SERVER)).isEqualTo(1);
        }
    }

    @Test
    void statefulMessagesAndInformationRequestsWithAnIaGetNoAnswer() {
        Next next = new Next();
        try (VirtualGuest g = guest(NetworkConfig.defaults(), CONFIG, next)) {
            byte[] iaNa = new byte[12];
            for (int type : new int[] {1, 3, 4, 5, 6, 8, 9}) {
                g.send(new Message(type, type).clientId().option(3, iaNa).oro(23).frame());
            }
            g.send(informationRequest(9).clientId().option(3, iaNa).frame());
            g.send(informationRequest(9).clientId().option(25, iaNa).frame());
            g.send(new Message(12, 0).frame());            // relay-forward
            for (int type : new int[] {2, 7, 10, 13}) {    // what servers and relays send
                g.send(new Message(type, 1).frame());
            }
            g.send(new Message(0, 1).frame());
            g.send(new Message(200, 1).frame());
            g.expectNothing();
            assertThat(counters(g).snapshot()).containsEntry("STATEFUL_IGNORED", 7L)
                    .containsEntry("INFORMATION_REQUEST", 2L).containsEntry("IA_IN_INFORMATION_REQUEST", 2L)
                    .containsEntry("RELAY_IGNORED", 1L).containsEntry("SERVER_MESSAGE_DROPPED", 4L)
                    .containsEntry("UNKNOWN_TYPE", 2L).doesNotContainKey("REPLY_SENT");
            assertThat(next.seen).as("every message to the server's port stays with it").isEmpty();
        }
    }

    @Test
    void malformedMessagesAreDroppedAndCounted() {
        try (VirtualGuest g = guest(NetworkConfig.defaults(), CONFIG, new Next())) {
            g.send(informationRequest(1).frame());                                           // well formed: answered
            g.expectFrame().release();
            g.send(udp(new byte[] {11, 0, 0}));                                               // 3 bytes
            g.send(informationRequest(1).raw(1, 20, new byte[4]).frame());                   // runs past the end
            g.send(udp(informationRequest(1).oro(23).write(0, 6)));                          // half an option header
            g.send(informationRequest(1).option(1, new byte[131]).frame());                   // DUID too long
            g.send(informationRequest(1).option(1, new byte[1]).frame());                     // DUID shorter than its type
            g.send(informationRequest(1).option(6, new byte[3]).frame());                     // odd ORO
            g.expectNothing();
            assertThat(counters(g).snapshot()).containsEntry("TRUNCATED", 1L).containsEntry("MALFORMED_OPTIONS", 2L)
                    .containsEntry("BAD_CLIENT_ID", 2L).containsEntry("BAD_OPTION_REQUEST", 1L)
                    .containsEntry("REPLY_SENT", 1L);
        }
    }

    @Test
    void messagesNotToAllServersAreLeftToTheOtherServices() {
        Next next = new Next();
        try (VirtualGuest g = guest(NetworkConfig.defaults(), CONFIG, next)) {
            g.send(informationRequest(1).oro(23).frame(GUEST6, HOST6));               // unicast to fec0::2
            g.send(dev.jslirp.core.testkit.GuestFrames6.udp(GUEST6, 546, Dhcpv6Frames.ALL_SERVERS, 548, new byte[8]));
            g.expectNothing();
            assertThat(next.seen).containsExactly("fec0::2:547", "ff02::1:2:548");
            assertThat(counters(g).total()).isZero();
        }
    }

    @Test
    void aSearchListTooLongForTheMtuIsLeftOutAndCounted() throws Exception {
        DhcpConfig.Builder many = DhcpConfig.builder();
        for (int i = 0; i < 30; i++) {
            many.addDnsSearch("d" + i + "." + "x".repeat(60) + ".example");
        }
        try (VirtualGuest g = guest(NetworkConfig.defaults(), many.build(), new Next())) {
            Reply r = exchange(g, informationRequest(1).oro(23, 24));
            assertThat(r.options().keySet()).containsExactly(2, 23);
            assertThat(counters(g).get(Dhcpv6Counter.OPTION_LEFT_OUT)).isEqualTo(1);
        }
    }

    @Test
    void theServerIdentifierIsTheSameForEveryStart() {
        Dhcpv6Server a = new Dhcpv6Server(CONFIG);
        Dhcpv6Server b = new Dhcpv6Server(CONFIG);
        try (VirtualGuest ga = VirtualGuest.embedded(a); VirtualGuest gb = VirtualGuest.embedded(b)) {
            assertThat(hex(a.serverDuid())).isEqualTo(hex(b.serverDuid())).isEqualTo(SERVER_DUID);
        }
        assertThat(IpAddress.parse("ff02::1:2")).isEqualTo(Dhcpv6Server.ALL_SERVERS);
    }
}
