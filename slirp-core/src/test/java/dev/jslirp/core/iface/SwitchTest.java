package dev.jslirp.core.iface;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static dev.jslirp.core.testkit.GuestFrames.GATEWAY_MAC;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_IP;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_MAC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.iface.PortStatus;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.VirtualLan;
import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Several guests on one network: what the switch carries between them, what stays on
 * each port, and what a misbehaving guest cannot do to the others.
 */
class SwitchTest {
    private static final long MAC_B = MacAddress.parse("52:54:00:12:34:57");
    private static final int IP_B = Ipv4Address.parse("10.0.2.16");
    private static final long MAC_C = MacAddress.parse("52:54:00:12:34:58");
    private static final int IP_C = Ipv4Address.parse("10.0.2.17");
    private static final byte[] DATA = "between guests".getBytes();

    /** Guest A (the testkit's default guest) and B, each having announced itself by ARP. */
    private static VirtualLan.Guest[] twoGuests(VirtualLan lan) {
        VirtualLan.Guest a = lan.attach("a");
        VirtualLan.Guest b = lan.attach("b");
        a.send(GuestFrames.arpRequest(GUEST_MAC, GUEST_IP, GATEWAY));
        b.send(GuestFrames.arpRequest(MAC_B, IP_B, GATEWAY));
        a.drain();
        b.drain();
        return new VirtualLan.Guest[] {a, b};
    }

    private static long drop(VirtualLan lan, DropReason r) {
        return lan.network().stats().drops().get(r);
    }

    private static ByteBuf udpFromBToA() {
        return GuestFrames.from(MAC_B, GUEST_MAC, GuestFrames.udp(IP_B, 5000, GUEST_IP, 6000, DATA));
    }

    @Test
    void aBroadcastReachesTheOtherGuestsAndTheirAnswerOnlyTheAsker() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest a = lan.attach("a");
            VirtualLan.Guest b = lan.attach("b");
            VirtualLan.Guest c = lan.attach("c");
            c.send(GuestFrames.arpRequest(MAC_C, IP_C, GATEWAY));
            a.drain();
            b.drain();
            c.drain();
            ByteBuf request = GuestFrames.arpRequest(GUEST_MAC, GUEST_IP, IP_B);
            byte[] sent = ByteBufUtil.getBytes(request);
            a.send(request);
            assertThat(bytes(b.expectFrame())).as("flooded to b as sent").isEqualTo(sent);
            assertThat(bytes(c.expectFrame())).as("and to c").isEqualTo(sent);
            a.expectNothing();
            ByteBuf reply = GuestFrames.arp(ArpPacket.OP_REPLY, MAC_B, GUEST_MAC, MAC_B, IP_B, GUEST_MAC, GUEST_IP);
            sent = ByteBufUtil.getBytes(reply);
            b.send(reply);
            assertThat(bytes(a.expectFrame())).isEqualTo(sent);
            c.expectNothing();
            assertThat(lan.network().stats().drops().total()).as("%s", lan.network().stats().snapshot()).isZero();
        }
    }

    @Test
    void unicastBetweenGuestsGoesToTheDestinationsPortOnlyUnchanged() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest[] g = twoGuests(lan);
            VirtualLan.Guest c = lan.attach("c");
            NetworkStats.Traffic switched = NetworkStats.Traffic.FRAMES_SWITCHED;
            long before = lan.network().stats().traffic().get(switched);
            long outBefore = lan.network().ports().get(0).framesOut();
            ByteBuf frame = udpFromBToA();
            byte[] sent = ByteBufUtil.getBytes(frame);
            g[1].send(frame);
            assertThat(bytes(g[0].expectFrame())).isEqualTo(sent);
            g[1].expectNothing();
            c.expectNothing();
            assertThat(lan.network().stats().traffic().get(switched)).isEqualTo(before + 1);
            PortStatus a = lan.network().ports().get(0);
            assertThat(a.framesOut()).isEqualTo(outBefore + 1);
            assertThat(a.mac()).isEqualTo(GUEST_MAC);
        }
    }

    @Test
    void theNetworksAnswersGoToTheAskersPortOnly() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest[] g = twoGuests(lan);
            g[1].send(GuestFrames.from(MAC_B, GATEWAY_MAC, GuestFrames.udp(IP_B, 5000, GATEWAY, 9, DATA)));
            g[0].send(GuestFrames.echoRequest(GATEWAY, 1, 1, DATA));
            ByteBuf reply = g[0].expectFrame();
            assertThat(MacAddress.read(reply, reply.readerIndex())).isEqualTo(GUEST_MAC);
            reply.release();
            g[1].expectNothing();
        }
    }

    @Test
    void anIsolatedGuestReachesTheNetworkButNoOtherGuestAndNoneReachesIt() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest a = lan.attach("a");
            VirtualLan.Guest b = lan.attach(new PortOptions("b", true, false, false));
            a.send(GuestFrames.arpRequest(GUEST_MAC, GUEST_IP, GATEWAY));
            a.drain();
            b.send(GuestFrames.arpRequest(MAC_B, IP_B, GATEWAY));
            ByteBuf reply = b.expectFrame();
            assertThat(reply.getUnsignedShort(reply.readerIndex() + 12)).isEqualTo(EthernetFrame.TYPE_ARP);
            reply.release();
            a.expectNothing();                       // b's broadcast was not flooded to a
            b.send(udpFromBToA());
            a.send(GuestFrames.from(GUEST_MAC, MAC_B, GuestFrames.udp(GUEST_IP, 6000, IP_B, 5000, DATA)));
            a.expectNothing();
            b.expectNothing();
            assertThat(drop(lan, DropReason.SWITCH_ISOLATED)).isEqualTo(2);
        }
    }

    @Test
    void aGuestSendingFromAnotherGuestsAddressIsDroppedAndTheOwnerKeepsIt() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest[] g = twoGuests(lan);
            // b claims a's address: towards the network (a's flows) and towards a.
            g[1].send(GuestFrames.from(MAC_B, GATEWAY_MAC, GuestFrames.udp(GUEST_IP, 5000, GATEWAY, 9, DATA)));
            g[1].send(GuestFrames.from(MAC_B, GUEST_MAC, GuestFrames.udp(GUEST_IP, 5000, GUEST_IP, 9, DATA)));
            assertThat(drop(lan, DropReason.SWITCH_SPOOFED_IP)).isEqualTo(2);
            g[0].expectNothing();
            assertThat(lan.network().neighbor(GUEST_IP)).isEqualTo(GUEST_MAC);
            // ... and the gateway's own address.
            g[1].send(GuestFrames.from(MAC_B, GUEST_MAC, GuestFrames.udp(GATEWAY, 53, GUEST_IP, 9, DATA)));
            assertThat(drop(lan, DropReason.SWITCH_SPOOFED_IP)).isEqualTo(3);
            g[0].expectNothing();
            // a still talks to the network as itself.
            g[0].send(GuestFrames.echoRequest(GATEWAY, 1, 1, DATA));
            g[0].expectFrame().release();
        }
    }

    @Test
    void arpLiesAreDroppedNotFlooded() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest[] g = twoGuests(lan);
            // b announces a's address as its own, and the gateway's; then a sender MAC not its frame's.
            g[1].send(GuestFrames.arp(ArpPacket.OP_REPLY, MAC_B, MacAddress.BROADCAST, MAC_B, GUEST_IP, 0, GUEST_IP));
            g[1].send(GuestFrames.arp(ArpPacket.OP_REPLY, MAC_B, MacAddress.BROADCAST, MAC_B, GATEWAY, 0, GATEWAY));
            g[1].send(GuestFrames.arp(ArpPacket.OP_REQUEST, MAC_B, MacAddress.BROADCAST, MAC_C, IP_B, 0, GATEWAY));
            assertThat(drop(lan, DropReason.SWITCH_SPOOFED_ARP)).isEqualTo(3);
            g[0].expectNothing();
            assertThat(lan.network().neighbor(GUEST_IP)).isEqualTo(GUEST_MAC);
        }
    }

    @Test
    void neighbourDiscoveryLiesAndRouterAdvertisementsFromGuestsAreDropped() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest a = lan.attach("a");
            VirtualLan.Guest b = lan.attach("b");
            IpAddress bAddr = IpAddress.parse("fec0::5054:ff:fe12:3457");
            // b announces its address (its own link-layer option would name the testkit's MAC: rewritten).
            ByteBuf ns = GuestFrames6.neighborSolicitation(bAddr, GuestFrames6.HOST6);
            GuestFrames.from(MAC_B, MacAddress.parse("33:33:ff:00:00:02"), ns);
            MacAddress.write(ns, ns.writerIndex() - 6, MAC_B);
            fixIcmpv6Checksum(ns);
            b.send(ns);
            b.drain();
            a.drain();
            // a advertises b's address as its own, from its own address (a lie about the target).
            byte[] body = new byte[4 + 16 + 8];
            body[0] = 0x20;                                     // override
            System.arraycopy(bAddr.toIpv6Bytes(), 0, body, 4, 16);
            body[20] = 2;
            body[21] = 1;
            for (int i = 0; i < 6; i++) {
                body[22 + i] = (byte) (GUEST_MAC >>> (40 - 8 * i));
            }
            a.send(GuestFrames6.icmpv6(GuestFrames6.GUEST6_LL, GuestFrames6.ALL_NODES, 255, 136, 0, body));
            assertThat(drop(lan, DropReason.SWITCH_SPOOFED_NDP)).isEqualTo(1);
            // a sends a router advertisement.
            a.send(GuestFrames6.icmpv6(GuestFrames6.GUEST6_LL, GuestFrames6.ALL_NODES, 255, 134, 0, new byte[12]));
            assertThat(drop(lan, DropReason.SWITCH_ROGUE_SERVICE)).isEqualTo(1);
            b.expectNothing();
        }
    }

    @Test
    void aMacFloodIsBoundedToItsOwnPortAndTheOthersKeepWorking() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest[] g = twoGuests(lan);
            for (int i = 0; i < 5000; i++) {
                g[1].send(GuestFrames.from(0x0200_0000_0000L + i, GUEST_MAC,
                        GuestFrames.udp(IP_B, 5000, GUEST_IP, 6000, DATA)));
            }
            assertThat(lan.network().macCount()).isLessThanOrEqualTo(2 * EthernetSwitch.MACS_PER_PORT);
            assertThat(drop(lan, DropReason.SWITCH_MAC_LIMIT)).isEqualTo(5000 - (EthernetSwitch.MACS_PER_PORT - 1));
            g[0].drain();
            g[1].send(udpFromBToA());
            g[0].expectFrame().release();
            g[0].send(GuestFrames.echoRequest(GATEWAY, 1, 1, DATA));
            g[0].expectFrame().release();
        }
    }

    @Test
    void aBroadcastFloodIsCutToTheFloodRateForTheOthers() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest[] g = twoGuests(lan);
            int sent = 3 * EthernetSwitch.FLOOD_BURST;
            for (int i = 0; i < sent; i++) {
                g[1].send(GuestFrames.arpRequest(MAC_B, IP_B, Ipv4Address.parse("10.0.2.99")));
            }
            // twoGuests() took one token already.
            assertThat(g[0].pending()).isEqualTo(EthernetSwitch.FLOOD_BURST - 1);
            assertThat(drop(lan, DropReason.SWITCH_FLOOD_LIMIT)).isEqualTo(sent - EthernetSwitch.FLOOD_BURST + 1);
            g[0].drain();
            lan.advance(Duration.ofMillis(100));      // 100 tokens earned at 1000 a second
            for (int i = 0; i < 200; i++) {
                g[1].send(GuestFrames.arpRequest(MAC_B, IP_B, Ipv4Address.parse("10.0.2.99")));
            }
            assertThat(g[0].pending()).isEqualTo(100);
        }
    }

    @Test
    void aGuestThatStopsReadingLosesItsOwnFloodsOnly() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest[] g = twoGuests(lan);
            VirtualLan.Guest c = lan.attach("c");
            c.writable(false);
            g[1].send(GuestFrames.arpRequest(MAC_B, IP_B, GUEST_IP));
            g[0].expectFrame().release();
            c.expectNothing();
            assertThat(drop(lan, DropReason.SWITCH_PORT_BUSY)).isEqualTo(1);
            assertThat(lan.network().ports().get(2).dropsOut()).isEqualTo(1);
            g[1].send(udpFromBToA());
            g[0].expectFrame().release();
        }
    }

    @Test
    void aReconnectWhoseOldPortIsStillOpenIsHeldUntilTheOldPortLeaves() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest old = lan.attach("old");
            old.send(GuestFrames.arpRequest(GATEWAY));
            old.drain();
            VirtualLan.Guest fresh = lan.attach("new");
            fresh.send(GuestFrames.arpRequest(GATEWAY));
            fresh.expectNothing();
            assertThat(lan.network().stats().traffic().get(NetworkStats.Traffic.SWITCH_HELD)).isEqualTo(1);
            old.detach();
            ByteBuf reply = fresh.expectFrame();
            assertThat(MacAddress.read(reply, reply.readerIndex())).isEqualTo(GUEST_MAC);
            reply.release();
            assertThat(lan.network().stats().drops().total()).isZero();
        }
    }

    @Test
    void aNewPortClaimingAnAttachedGuestsMacIsDroppedOnceTheHoldExpires() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest owner = lan.attach("owner");
            owner.send(GuestFrames.arpRequest(GATEWAY));
            owner.drain();
            VirtualLan.Guest thief = lan.attach("thief");
            thief.send(GuestFrames.arpRequest(GATEWAY));
            lan.advance(Duration.ofSeconds(1));
            thief.expectNothing();
            assertThat(drop(lan, DropReason.SWITCH_MAC_IN_USE)).isEqualTo(1);
            owner.send(GuestFrames.arpRequest(GATEWAY));
            owner.expectFrame().release();
        }
    }

    @Test
    void aLockedGuestMaySendOnlyFromTheAddressDhcpGaveIt() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest a = lan.attach(new PortOptions("a", false, false, true));
            a.send(GuestFrames.arpRequest(GATEWAY));
            assertThat(drop(lan, DropReason.SWITCH_LOCKED_ADDRESS)).isEqualTo(1);
            lan.network().addNeighbor(IpAddress.ipv4(GUEST_IP), GUEST_MAC);   // what the DHCP server does
            a.send(GuestFrames.arpRequest(GATEWAY));
            a.expectFrame().release();
            a.send(GuestFrames.udp(IP_B, 5000, GATEWAY, 9, DATA));
            assertThat(drop(lan, DropReason.SWITCH_LOCKED_ADDRESS)).isEqualTo(2);
        }
    }

    @Test
    void framesForAGuestThatLeftAreDroppedNotFloodedToTheOthers() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest[] g = twoGuests(lan);
            g[1].detach();
            // The network still knows b's MAC (a returning b is reached at once), but not its port.
            ByteBuf quote = quote();
            lan.network().eventLoop().execute(() -> lan.network().sendIcmpError(IpAddress.ipv4(GATEWAY),
                    IpAddress.ipv4(IP_B), dev.jslirp.core.spi.IcmpError.PORT_UNREACHABLE, quote, 0, 28));
            lan.runPending();
            quote.release();
            g[0].expectNothing();
            assertThat(drop(lan, DropReason.SWITCH_UNKNOWN_DESTINATION)).isEqualTo(1);
        }
    }

    @Test
    void aDetachedPortsAddressesAndMacAreFreeForTheNextGuest() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            VirtualLan.Guest[] g = twoGuests(lan);
            g[1].detach();
            VirtualLan.Guest c = lan.attach("c");
            c.send(GuestFrames.arpRequest(MAC_B, IP_B, GATEWAY));
            c.expectFrame().release();
            assertThat(lan.network().stats().drops().total()).isZero();
        }
    }

    @Test
    void sixtyFourGuestsShareANetworkAndTheSixtyFifthIsRefused() {
        try (VirtualLan lan = VirtualLan.embedded()) {
            java.util.List<VirtualLan.Guest> guests = new java.util.ArrayList<>();
            for (int i = 0; i < NetworkConfig.DEFAULT_MAX_PORTS; i++) {
                guests.add(lan.attach("g" + i));
            }
            for (int i = 0; i < guests.size(); i++) {
                guests.get(i).send(GuestFrames.arpRequest(0x5254_0000_0100L + i, Ipv4Address.parse("10.0.2.100") + i,
                        GATEWAY));
            }
            for (int i = 0; i < guests.size(); i++) {
                boolean answered = false;
                ByteBuf f;
                while ((f = guests.get(i).sink().poll()) != null) {
                    answered |= MacAddress.read(f, f.readerIndex()) == 0x5254_0000_0100L + i
                            && f.getUnsignedShort(f.readerIndex() + 12) == EthernetFrame.TYPE_ARP;
                    f.release();
                }
                assertThat(answered).as("guest %d answered", i).isTrue();
            }
            assertThat(lan.network().ports()).hasSize(64);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> lan.attach("one too many"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("maximum of 64 ports");
        }
    }

    private static ByteBuf quote() {
        ByteBuf q = io.netty.buffer.Unpooled.buffer(28);
        dev.jslirp.core.wire.Ipv4Packet.write(q, 0, 0, 28, 1, 0, 64, 17, IP_B, GATEWAY);
        q.writerIndex(28);
        return q;
    }

    private static byte[] bytes(ByteBuf b) {
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    /** Recomputes the ICMPv6 checksum of an IPv6 frame without extension headers. */
    private static void fixIcmpv6Checksum(ByteBuf f) {
        int ip = f.readerIndex() + EthernetFrame.HEADER_LENGTH;
        int l4 = ip + 40;
        int len = f.writerIndex() - l4;
        f.setShort(l4 + 2, 0);
        long sum = dev.jslirp.core.wire.Checksums.pseudoHeader(f.getLong(ip + 8), f.getLong(ip + 16), f.getLong(ip + 24),
                f.getLong(ip + 32), 58, len);
        sum = dev.jslirp.core.wire.Checksums.add(sum, f, l4, len);
        f.setShort(l4 + 2, ~dev.jslirp.core.wire.Checksums.fold(sum) & 0xffff);
    }
}
