package dev.jslirp.core.iface;

import static dev.jslirp.core.testkit.GuestFrames.DNS;
import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static dev.jslirp.core.testkit.GuestFrames.GATEWAY_MAC;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_IP;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_MAC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.PcapFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import java.net.Inet4Address;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.ArpPacket;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV4EchoReplyPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.namednumber.ArpOperation;
import org.pcap4j.packet.namednumber.IcmpV4Type;

/** The network's own answers, decoded by pcap4j (a decoder nobody here wrote). */
class GuestNetworkTest {

    @Test
    void arpRequestForGatewayIsAnsweredWithItsMac() throws Exception {
        try (VirtualGuest g = VirtualGuest.embedded()) {
            g.send(GuestFrames.arpRequest(GATEWAY));
            EthernetPacket eth = PcapFrames.decode(g.expectFrame());
            ArpPacket arp = eth.get(ArpPacket.class);
            assertThat(arp.getHeader().getOperation()).isEqualTo(ArpOperation.REPLY);
            assertThat(arp.getHeader().getSrcProtocolAddr()).isEqualTo(Ipv4Address.toInetAddress(GATEWAY));
            assertThat(arp.getHeader().getSrcHardwareAddr().toString()).isEqualTo(MacAddress.toString(GATEWAY_MAC));
            assertThat(arp.getHeader().getDstHardwareAddr().toString()).isEqualTo(MacAddress.toString(GUEST_MAC));
            assertThat(arp.getHeader().getDstProtocolAddr()).isEqualTo(Ipv4Address.toInetAddress(GUEST_IP));
            assertThat(eth.getHeader().getDstAddr().toString()).isEqualTo(MacAddress.toString(GUEST_MAC));
            assertThat(g.network().neighbor(GUEST_IP)).isEqualTo(GUEST_MAC);
        }
    }

    @Test
    void arpRequestForAnotherAddressIsNotAnswered() {
        try (VirtualGuest g = VirtualGuest.embedded()) {
            g.send(GuestFrames.arpRequest(Ipv4Address.parse("10.0.2.77")));
            g.expectNothing();
            assertThat(g.network().stats().drops().get(DropReason.ARP_NOT_FOR_US)).isEqualTo(1);
        }
    }

    @Test
    void pingToGatewayAndDnsIsEchoed() throws Exception {
        try (VirtualGuest g = VirtualGuest.embedded()) {
            for (int dst : new int[] {GATEWAY, DNS}) {
                byte[] data = "0123456789abcdef".getBytes();
                g.send(GuestFrames.echoRequest(dst, 7, 3, data));
                EthernetPacket eth = PcapFrames.decode(g.expectFrame());
                IpV4Packet ip = eth.get(IpV4Packet.class);
                assertThat(ip.getHeader().hasValidChecksum(false)).isTrue();
                assertThat(ip.getHeader().getSrcAddr()).isEqualTo((Inet4Address) Ipv4Address.toInetAddress(dst));
                assertThat(ip.getHeader().getDstAddr()).isEqualTo(Ipv4Address.toInetAddress(GUEST_IP));
                IcmpV4CommonPacket icmp = eth.get(IcmpV4CommonPacket.class);
                assertThat(icmp.getHeader().getType()).isEqualTo(IcmpV4Type.ECHO_REPLY);
                assertThat(icmp.hasValidChecksum(false)).isTrue();
                IcmpV4EchoReplyPacket reply = eth.get(IcmpV4EchoReplyPacket.class);
                assertThat(reply.getHeader().getIdentifierAsInt()).isEqualTo(7);
                assertThat(reply.getHeader().getSequenceNumberAsInt()).isEqualTo(3);
                assertThat(reply.getPayload().getRawData()).isEqualTo(data);
            }
        }
    }

    @Test
    void aTapSeesBothDirectionsAndAFailingTapIsRemoved() {
        try (VirtualGuest g = VirtualGuest.embedded()) {
            java.util.List<String> seen = new java.util.ArrayList<>();
            g.network().tap(new dev.jslirp.core.spi.FrameTap() {
                @Override
                public void fromGuest(io.netty.buffer.ByteBuf frame, long nanoTime) {
                    seen.add("in " + frame.readableBytes());
                }

                @Override
                public void toGuest(io.netty.buffer.ByteBuf frame, long nanoTime) {
                    seen.add("out " + frame.readableBytes());
                }
            });
            g.send(GuestFrames.arpRequest(GATEWAY));
            io.netty.buffer.ByteBuf reply = g.expectFrame();
            assertThat(seen).containsExactly("in 42", "out " + reply.readableBytes());
            reply.release();

            g.network().tap(new dev.jslirp.core.spi.FrameTap() {
                @Override
                public void fromGuest(io.netty.buffer.ByteBuf frame, long nanoTime) {
                    throw new IllegalStateException("tap bug");
                }

                @Override
                public void toGuest(io.netty.buffer.ByteBuf frame, long nanoTime) {
                    throw new AssertionError("removed after its first failure");
                }
            });
            g.send(GuestFrames.arpRequest(GATEWAY));
            g.expectFrame().release();
        }
    }

    @Test
    void aServiceFailingToStartStopsTheOnesStartedBeforeIt() {
        java.util.List<String> events = new java.util.ArrayList<>();
        dev.jslirp.core.spi.GuestService first = new dev.jslirp.core.spi.GuestService() {
            @Override
            public void start(dev.jslirp.core.spi.GuestContext c) {
                events.add("first started");
            }

            @Override
            public boolean handle(dev.jslirp.core.spi.GuestPacket p) {
                return false;
            }

            @Override
            public void stop() {
                events.add("first stopped");
            }
        };
        dev.jslirp.core.spi.GuestService failing = new dev.jslirp.core.spi.GuestService() {
            @Override
            public void start(dev.jslirp.core.spi.GuestContext c) {
                throw new IllegalStateException("port in use");
            }

            @Override
            public boolean handle(dev.jslirp.core.spi.GuestPacket p) {
                return false;
            }
        };
        io.netty.channel.embedded.EmbeddedChannel ch = new io.netty.channel.embedded.EmbeddedChannel();
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> GuestNetwork.builder(ch.eventLoop())
                    .service(first).service(failing).build()).hasMessage("port in use");
            assertThat(events).containsExactly("first started", "first stopped");
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
