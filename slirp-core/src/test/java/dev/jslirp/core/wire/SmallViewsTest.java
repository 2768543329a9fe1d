package dev.jslirp.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** Ethernet, ARP, ICMP and UDP views and the address helpers. */
class SmallViewsTest {
    @Test
    void deconstructsACapturedArpRequest() {
        ByteBuf f = CapturedFrames.frame(CapturedFrames.ARP_REQUEST);
        EthernetFrame eth = new EthernetFrame();
        assertThat(eth.wrap(f)).isTrue();
        assertThat(eth.destination()).isEqualTo(MacAddress.BROADCAST);
        assertThat(MacAddress.toString(eth.source())).isEqualTo("52:54:00:12:34:56");
        assertThat(eth.etherType()).isEqualTo(EthernetFrame.TYPE_ARP);
        ArpPacket arp = new ArpPacket();
        assertThat(arp.wrap(f, eth.payloadOffset(), f.writerIndex())).isTrue();
        assertThat(arp.operation()).isEqualTo(ArpPacket.OP_REQUEST);
        assertThat(Ipv4Address.toString(arp.senderIp())).isEqualTo("10.0.2.15");
        assertThat(Ipv4Address.toString(arp.targetIp())).isEqualTo("10.0.2.2");
        assertThat(arp.targetMac()).isZero();
    }

    @Test
    void arpForOtherHardwareOrTruncatedIsRejected() {
        ByteBuf f = CapturedFrames.frame(CapturedFrames.ARP_REQUEST);
        ArpPacket arp = new ArpPacket();
        assertThat(arp.wrap(f, 14, f.writerIndex() - 1)).isFalse();
        f.setShort(14, 6); // IEEE 802 hardware type
        assertThat(arp.wrap(f, 14, f.writerIndex())).isFalse();
        f.setShort(14, 1);
        f.setByte(14 + 4, 8);
        assertThat(arp.wrap(f, 14, f.writerIndex())).isFalse();
    }

    @Test
    void ethernetShorterThanHeaderIsRejected() {
        assertThat(new EthernetFrame().wrap(Unpooled.buffer(13).writerIndex(13))).isFalse();
    }

    @Test
    void deconstructsACapturedEchoRequest() {
        ByteBuf f = CapturedFrames.frame(CapturedFrames.ECHO_REQUEST);
        IcmpPacket icmp = new IcmpPacket();
        assertThat(icmp.wrap(f, 34, 64)).isTrue();
        assertThat(icmp.verifyChecksum()).isTrue();
        assertThat(icmp.type()).isEqualTo(IcmpPacket.TYPE_ECHO_REQUEST);
        assertThat(icmp.identifier()).isEqualTo(0x60);
        assertThat(icmp.sequence()).isZero();
        assertThat(icmp.payloadLength()).isEqualTo(56);
        assertThat(icmp.wrap(f, 34, 7)).isFalse();
    }

    @Test
    void udpLengthFieldMustFitTheIpPayload() {
        ByteBuf b = Unpooled.buffer(20);
        UdpPacket.write(b, 0, 1000, 53, 20, 1, 2);
        UdpPacket udp = new UdpPacket();
        assertThat(udp.wrap(b, 0, 20)).isTrue();
        assertThat(udp.verifyChecksum(1, 2)).isTrue();
        assertThat(udp.verifyChecksum(1, 3)).isFalse();
        assertThat(udp.payloadLength()).isEqualTo(12);
        assertThat(udp.wrap(b, 0, 19)).isFalse();   // length field 20 beyond 19 bytes
        assertThat(udp.wrap(b, 0, 7)).isFalse();    // shorter than a header
        b.setShort(4, 7);
        assertThat(udp.wrap(b, 0, 20)).isFalse();   // length field below 8
    }

    @Test
    void udpZeroChecksumMeansNone() {
        ByteBuf b = Unpooled.buffer(8);
        UdpPacket.write(b, 0, 1, 2, 8, 1, 2);
        b.setShort(6, 0);
        UdpPacket udp = new UdpPacket();
        assertThat(udp.wrap(b, 0, 8)).isTrue();
        assertThat(udp.verifyChecksum(5, 6)).isTrue();
    }

    @Test
    void addressesParseAndFormat() {
        assertThat(Ipv4Address.toString(Ipv4Address.parse("192.168.100.254"))).isEqualTo("192.168.100.254");
        assertThat(Ipv4Address.mask(24)).isEqualTo(0xffffff00);
        assertThat(Ipv4Address.mask(0)).isZero();
        assertThatThrownBy(() -> Ipv4Address.parse("10.0.2")).hasMessageContaining("a.b.c.d");
        assertThatThrownBy(() -> Ipv4Address.parse("10.0.2.256")).hasMessageContaining("0-255");
        assertThatThrownBy(() -> Ipv4Address.parse("10.0.2.x")).hasMessageContaining("a.b.c.d");
        assertThat(MacAddress.toString(MacAddress.parse("52-54-00-AB-cd-01"))).isEqualTo("52:54:00:ab:cd:01");
        assertThatThrownBy(() -> MacAddress.parse("52:54:00:ab:cd")).hasMessageContaining("aa:bb:cc:dd:ee:ff");
        // Found by fuzzing hostfwd rules: an IPv6 address such as f:e:8:0:c:1:: passed for a MAC,
        // its trailing "::" dropped by String.split; and Integer.parseInt took a sign.
        assertThatThrownBy(() -> MacAddress.parse("f:e:8:0:c:1::")).hasMessageContaining("aa:bb:cc:dd:ee:ff");
        assertThatThrownBy(() -> MacAddress.parse("52:54:00:ab:cd:01:")).hasMessageContaining("aa:bb:cc:dd:ee:ff");
        assertThatThrownBy(() -> MacAddress.parse("52:54:00:ab:cd:+1")).hasMessageContaining("aa:bb:cc:dd:ee:ff");
        assertThat(MacAddress.isMulticast(MacAddress.BROADCAST)).isTrue();
        assertThat(MacAddress.isMulticast(MacAddress.parse("52:54:00:12:34:56"))).isFalse();
    }
}
