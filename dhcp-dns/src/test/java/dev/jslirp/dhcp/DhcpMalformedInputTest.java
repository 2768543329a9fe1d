package dev.jslirp.dhcp;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static dev.jslirp.dhcp.DhcpServerTest.counters;
import static dev.jslirp.dhcp.DhcpServerTest.guest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every malformed shape reaching the server's port: dropped, counted under its reason,
 * never answered, never an exception (the core would count it as SERVICE_ERROR), and
 * nothing left behind in the lease table.
 */
class DhcpMalformedInputTest {

    static Stream<Arguments> shapes() {
        return Stream.of(
                shape("truncated below the fixed header", DhcpCounter.TRUNCATED, discoverWith(m -> m.truncateTo = 235)),
                shape("empty payload", DhcpCounter.TRUNCATED, discoverWith(m -> m.truncateTo = 0)),
                shape("op BOOTREPLY from the guest", DhcpCounter.BAD_OP, discoverWith(m -> m.op = 2)),
                shape("op 0", DhcpCounter.BAD_OP, discoverWith(m -> m.op = 0)),
                shape("htype IEEE 802 (6)", DhcpCounter.BAD_HTYPE, discoverWith(m -> m.htype = 6)),
                shape("hlen 16", DhcpCounter.BAD_HLEN, discoverWith(m -> m.hlen = 16)),
                shape("zero chaddr", DhcpCounter.BAD_CHADDR, () -> ClientMessage.discover().mac(0)),
                shape("broadcast chaddr", DhcpCounter.BAD_CHADDR, () -> ClientMessage.discover().mac(MacAddress.BROADCAST)),
                shape("no room for the cookie", DhcpCounter.BAD_COOKIE, discoverWith(m -> m.truncateTo = 238)),
                shape("no cookie at all (236 bytes)", DhcpCounter.BAD_COOKIE, () -> {
                    ClientMessage m = ClientMessage.discover().noEnd();
                    m.cookie = false;
                    m.options.reset();
                    return m;
                }),
                shape("wrong cookie", DhcpCounter.BAD_COOKIE, discoverWith(m -> m.cookieValue = 0x63825364)),
                shape("option length past the end", DhcpCounter.BAD_OPTION_LENGTH,
                        () -> ClientMessage.discover().raw((byte) 12, (byte) 40, (byte) 'x').noEnd()),
                shape("option code as last byte, no length", DhcpCounter.BAD_OPTION_LENGTH,
                        () -> ClientMessage.discover().raw((byte) 12).noEnd()),
                shape("message type of two bytes", DhcpCounter.BAD_OPTION_VALUE,
                        () -> ClientMessage.of(0).option(53, new byte[] {1, 1})),
                shape("requested address of three bytes", DhcpCounter.BAD_OPTION_VALUE,
                        () -> ClientMessage.discover().option(50, new byte[] {10, 0, 2})),
                shape("server id of five bytes", DhcpCounter.BAD_OPTION_VALUE,
                        () -> ClientMessage.request().option(54, new byte[] {10, 0, 2, 2, 0})),
                shape("client id of one byte", DhcpCounter.BAD_OPTION_VALUE,
                        () -> ClientMessage.discover().option(61, new byte[] {1})),
                shape("max size of one byte", DhcpCounter.BAD_OPTION_VALUE,
                        () -> ClientMessage.discover().option(57, new byte[] {5})),
                shape("message type 0", DhcpCounter.UNKNOWN_MESSAGE_TYPE, () -> ClientMessage.of(0).option(53, 0)),
                shape("message type 42", DhcpCounter.UNKNOWN_MESSAGE_TYPE, () -> ClientMessage.of(42)),
                shape("OFFER from the guest", DhcpCounter.UNKNOWN_MESSAGE_TYPE, () -> ClientMessage.of(2)),
                shape("ACK from the guest", DhcpCounter.UNKNOWN_MESSAGE_TYPE, () -> ClientMessage.of(5)),
                shape("NAK from the guest", DhcpCounter.UNKNOWN_MESSAGE_TYPE, () -> ClientMessage.of(6)),
                shape("REQUEST with no address anywhere", DhcpCounter.MISSING_OPTION, ClientMessage::request),
                shape("SELECTING REQUEST without option 50", DhcpCounter.MISSING_OPTION,
                        () -> ClientMessage.request().serverId(GATEWAY)),
                shape("RELEASE without ciaddr", DhcpCounter.MISSING_OPTION,
                        () -> ClientMessage.of(7).serverId(GATEWAY)),
                shape("DECLINE without option 50", DhcpCounter.MISSING_OPTION,
                        () -> ClientMessage.of(4).serverId(GATEWAY)));
    }

    /** A DISCOVER with one field changed. */
    private static Supplier<ClientMessage> discoverWith(Consumer<ClientMessage> change) {
        return () -> {
            ClientMessage m = ClientMessage.discover();
            change.accept(m);
            return m;
        };
    }

    private static Arguments shape(String name, DhcpCounter reason, Supplier<ClientMessage> message) {
        return Arguments.of(name, reason, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void malformedRequestIsCountedAndUnanswered(String name, DhcpCounter reason, Supplier<ClientMessage> message) {
        DhcpServer server = new DhcpServer(DhcpConfig.defaults());
        try (VirtualGuest g = VirtualGuest.embedded(server)) {
            g.send(message.get().frame());
            g.expectNothing();
            assertThat(counters(g).get(reason)).as(name).isEqualTo(1);
            assertThat(counters(g).get(DhcpCounter.OFFER_SENT) + counters(g).get(DhcpCounter.ACK_SENT)
                    + counters(g).get(DhcpCounter.NAK_SENT) + counters(g).get(DhcpCounter.BOOTP_REPLY_SENT)).isZero();
            assertThat(g.network().stats().drops().total()).as("nothing dropped by the core").isZero();
            g.onLoop(() -> assertThat(server.activeLeases()).isEmpty());
            // The server still works afterwards.
            g.send(ClientMessage.discover().frame());
            ServerReply offer = ServerReply.decode(g.expectFrame());
            assertThat(offer.messageType()).isEqualTo(2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void everyTruncationOfAMalformedRequestIsHandledWithoutError(String name, DhcpCounter reason,
                                                                  Supplier<ClientMessage> message) {
        try (VirtualGuest g = guest()) {
            ClientMessage m = message.get();
            byte[] whole = m.bootp();
            for (int len = 0; len <= whole.length; len++) {
                g.send(m.frameOf(Arrays.copyOf(whole, len)));
                ByteBuf f;
                while ((f = g.sink().poll()) != null) {
                    f.release();
                }
            }
            assertThat(g.network().stats().drops().total()).as(name).isZero();
            assertThat(counters(g).total()).isGreaterThanOrEqualTo(whole.length + 1);
        }
    }

    @Test
    void requestLongerThanTheMtuArrivingInFragmentsIsOversized() {
        try (VirtualGuest g = guest()) {
            ClientMessage m = ClientMessage.discover();
            m.padTo = 1600;
            for (ByteBuf fragment : fragments(m.bootp())) {
                g.send(fragment);
            }
            g.expectNothing();
            assertThat(g.network().stats().traffic().get(NetworkStats.Traffic.REASSEMBLED))
                    .isEqualTo(1);
            assertThat(counters(g).get(DhcpCounter.OVERSIZED)).isEqualTo(1);
        }
    }

    @Test
    void requestUpToTheMtuIsServed() {
        try (VirtualGuest g = guest()) {
            ClientMessage m = ClientMessage.discover();
            m.padTo = 1500 - 28;
            g.send(m.frame());
            assertThat(ServerReply.decode(g.expectFrame()).messageType()).isEqualTo(2);
        }
    }

    /** A UDP datagram from 0.0.0.0:68 to broadcast:67 carrying {@code payload}, cut into two IP fragments. */
    private static ByteBuf[] fragments(byte[] payload) {
        int udpLen = UdpPacket.HEADER_LENGTH + payload.length;
        ByteBuf udp = Unpooled.buffer(udpLen);
        udp.setBytes(UdpPacket.HEADER_LENGTH, payload);
        UdpPacket.write(udp, 0, 68, 67, udpLen, 0, Ipv4Address.BROADCAST);
        udp.writerIndex(udpLen);
        int firstLen = 1480;
        ByteBuf[] out = new ByteBuf[2];
        for (int i = 0; i < 2; i++) {
            int off = i == 0 ? 0 : firstLen;
            int len = i == 0 ? firstLen : udpLen - firstLen;
            int ipLen = Ipv4Packet.MIN_HEADER_LENGTH + len;
            ByteBuf b = Unpooled.buffer(EthernetFrame.HEADER_LENGTH + ipLen);
            EthernetFrame.write(b, 0, MacAddress.BROADCAST, GuestFrames.GUEST_MAC,
                    EthernetFrame.TYPE_IPV4);
            Ipv4Packet.write(b, EthernetFrame.HEADER_LENGTH, 0, ipLen, 77, (i == 0 ? Ipv4Packet.FLAG_MF : 0) | (off / 8),
                    64, Ipv4Packet.PROTO_UDP, 0, Ipv4Address.BROADCAST);
            b.setBytes(EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH, udp, off, len);
            b.writerIndex(EthernetFrame.HEADER_LENGTH + ipLen);
            out[i] = b;
        }
        udp.release();
        return out;
    }
}
