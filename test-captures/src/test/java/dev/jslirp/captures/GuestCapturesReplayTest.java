package dev.jslirp.captures;

import static dev.jslirp.captures.record.CaptureRecorder.DNS_ANSWERS;
import static dev.jslirp.captures.record.CaptureRecorder.FWD_GUEST_PORT;
import static dev.jslirp.captures.record.CaptureRecorder.TCP_PORT;
import static dev.jslirp.captures.record.CaptureRecorder.UDP_PORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.captures.CaptureReplay.Tcp;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.e2e.E2eDnsServer;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.hostfwd.HostForward;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.DnsPacket;
import org.pcap4j.packet.DnsResourceRecord;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IcmpV6EchoReplyPacket;
import org.pcap4j.packet.IcmpV6NeighborAdvertisementPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.UdpPacket;

/**
 * Replays the captures of captures/README.md (a real guest on libslirp, QEMU 7.2) through
 * jslirp and checks its replies field by field against libslirp's in the same capture,
 * after masking what may differ: initial sequence numbers (compared relative), IP
 * identification and TTL, TCP windows, DNS TTLs, the ports a host peer of the test
 * listens on. Where jslirp differs from libslirp by design, the test says so and checks
 * jslirp's own answer.
 */
class GuestCapturesReplayTest {
    private static final int GUEST_IP = 0x0a00020f;

    private static JslirpNetwork.Builder network(E2eDnsServer dns) {
        return JslirpNetwork.builder().dns(DnsConfig.builder()
                .addUpstream(dns == null ? "127.0.0.1:9" : "127.0.0.1:" + dns.address().getPort()).build());
    }

    @Test
    void dhcpOfferAndAckCarryWhatLibslirpsDid() {
        try (CaptureReplay r = new CaptureReplay("guest-dhcp", network(null))) {
            List<Dhcp> got = dhcp(r.replay());
            List<Dhcp> expected = dhcp(r.libslirpFrames());
            r.verify(() -> {
                assertThat(expected).extracting(Dhcp::type).containsExactly(2, 5);
                assertThat(got).extracting(Dhcp::type).containsExactly(2, 5);
                for (int i = 0; i < 2; i++) {
                    Dhcp g = got.get(i);
                    Dhcp e = expected.get(i);
                    assertThat(g.xid()).isEqualTo(e.xid());
                    assertThat(g.yiaddr()).isEqualTo(e.yiaddr()).isEqualTo(GUEST_IP);
                    assertThat(g.chaddr()).isEqualTo(e.chaddr());
                    // subnet mask, router, DNS server, server identifier, lease time
                    for (int option : new int[] {1, 3, 6, 54, 51}) {
                        assertThat(g.options().get(option)).as("option %d", option)
                                .isEqualTo(e.options().get(option));
                    }
                }
                // By design: libslirp broadcasts every reply (bootp.c); jslirp answers a
                // client without the broadcast flag at its MAC and offered address (RFC 2131 4.1).
                assertThat(expected).allMatch(d -> d.ipDst() == 0xffffffff);
                assertThat(got).allMatch(d -> d.ipDst() == GUEST_IP);
            });
        }
    }

    @Test
    void dnsAnswersMatchLibslirpsWithTtlsMasked() {
        try (E2eDnsServer upstream = E2eDnsServer.start(DNS_ANSWERS);
             CaptureReplay r = new CaptureReplay("guest-dns", network(upstream))) {
            Map<Integer, String> got = dnsAnswers(r.replay());
            Map<Integer, String> expected = dnsAnswers(r.libslirpFrames());
            r.verify(() -> {
                assertThat(expected).hasSize(4);
                assertThat(got).isEqualTo(expected);
                assertThat(got.values()).anyMatch(a -> a.contains("192.0.2.80"))
                        .anyMatch(a -> a.contains("Non-Existent Domain"));
            });
        }
    }

    @Test
    void tcpOpenDataAndCloseMatchLibslirps() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             CaptureReplay r = new CaptureReplay("guest-tcp", network(null))) {
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> serveOneLine(server));
            r.mapPort(TCP_PORT, server.getLocalPort());
            List<byte[]> answers = r.replay();
            int guestPort = guestSyn(r.guestFrames()).srcPort();
            Conversation got = Conversation.of(answers, guestPort, guestIss(r.guestFrames(), guestPort));
            Conversation expected = Conversation.of(r.libslirpFrames(), guestPort, guestIss(r.guestFrames(), guestPort));
            r.verify(() -> {
                assertThat(received.join()).isEqualTo("hello from the guest");
                assertThat(got.synFlags).isEqualTo(expected.synFlags).isEqualTo(Tcp.SYN | Tcp.ACK);
                assertThat(got.synAckRelAck).isEqualTo(expected.synAckRelAck).isEqualTo(1);
                assertThat(got.mss).isEqualTo(expected.mss).isEqualTo(1460);
                assertThat(new String(got.stream, StandardCharsets.US_ASCII))
                        .isEqualTo(new String(expected.stream, StandardCharsets.US_ASCII))
                        .isEqualTo("hello from the host\nHELLO FROM THE GUEST\n");
                assertThat(got.finRelSeq).isEqualTo(expected.finRelSeq).isEqualTo(1 + got.stream.length);
                assertThat(got.lastRelAck).as("the guest's FIN acknowledged")
                        .isEqualTo(expected.lastRelAck).isEqualTo(1 + 21 + 1);
                assertThat(got.resets).isEqualTo(expected.resets).isZero();
                assertThat(got.remotePort).isEqualTo(server.getLocalPort());
            });
        }
    }

    @Test
    void hostForwardConnectionMatchesLibslirps() throws Exception {
        NatConfig nat = NatConfig.builder().addForward(HostForward.parse("tcp:127.0.0.1:0-:" + FWD_GUEST_PORT)).build();
        try (CaptureReplay r = new CaptureReplay("guest-hostfwd", network(null).nat(nat))) {
            int port = r.network().nat().forwards().get(0).listening().getPort();
            CompletableFuture<String> client = CompletableFuture.supplyAsync(() -> talk(port, "hello from the host\n"));
            Thread.sleep(200);
            List<byte[]> answers = r.replay();
            Tcp guestSynAck = r.guestFrames().stream().map(Tcp::of).filter(t -> t != null && (t.flags() & Tcp.SYN) != 0)
                    .findFirst().orElseThrow();
            int guestIss = guestSynAck.seq();
            Conversation got = Conversation.of(answers, FWD_GUEST_PORT, guestIss);
            Conversation expected = Conversation.of(r.libslirpFrames(), FWD_GUEST_PORT, guestIss);
            r.verify(() -> {
                assertThat(client.join()).isEqualTo("hello from the guest\n");
                assertThat(got.synFlags).isEqualTo(expected.synFlags).isEqualTo(Tcp.SYN);
                assertThat(got.mss).isEqualTo(expected.mss).isEqualTo(1460);
                assertThat(new String(got.stream, StandardCharsets.US_ASCII))
                        .isEqualTo(new String(expected.stream, StandardCharsets.US_ASCII))
                        .isEqualTo("hello from the host\n");
                assertThat(got.finRelSeq).isEqualTo(expected.finRelSeq);
                assertThat(got.lastRelAck).isEqualTo(expected.lastRelAck).isEqualTo(1 + 21 + 1);
                assertThat(got.resets).isEqualTo(expected.resets).isZero();
                // A loopback client shows as the gateway, as libslirp shows it.
                assertThat(got.remoteAddress).isEqualTo(expected.remoteAddress).isEqualTo(0x0a000202);
            });
        }
    }

    @Test
    void fragmentedUdpEchoComesBackAsLibslirpSentIt() throws Exception {
        try (DatagramSocket echo = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             CaptureReplay r = new CaptureReplay("guest-fragments", network(null))) {
            Thread echoer = new Thread(() -> echoOnce(echo), "udp-echo");
            echoer.start();
            r.mapPort(UDP_PORT, echo.getLocalPort());
            List<byte[]> answers = r.replay();
            r.verify(() -> {
                List<int[]> got = fragments(answers);
                List<int[]> expected = fragments(r.libslirpFrames());
                assertThat(expected).hasSize(3);
                assertThat(got).as("fragment offsets and lengths").usingRecursiveComparison().isEqualTo(expected);
                assertThat(udpPayload(answers)).isEqualTo(udpPayload(r.libslirpFrames())).hasSize(4000);
            });
            echoer.join(5000);
        }
    }

    @Test
    void ipv6NeighbourDiscoveryAndEchoMatchLibslirps() {
        try (E2eDnsServer upstream = E2eDnsServer.start(DNS_ANSWERS);
             CaptureReplay r = new CaptureReplay("guest-ipv6", network(upstream))) {
            List<byte[]> answers = r.replay();
            r.verify(() -> {
                List<String> got = neighbourAdvertisements(answers);
                assertThat(got).isEqualTo(neighbourAdvertisements(r.libslirpFrames()))
                        .containsExactly("fec0::2 R S O", "fec0::3 R S O");
                assertThat(echoReplies(answers)).isEqualTo(echoReplies(r.libslirpFrames())).hasSize(1);
                // By design: libslirp forwards DNS over IPv6 to an IPv6 nameserver of the host
                // and, the recording's namespace having none, answered "no route"; jslirp asks
                // its upstream over either family and answers.
                assertThat(dnsAnswers(answers).values()).anyMatch(a -> a.contains("192.0.2.80"));
            });
        }
    }

    // ------------------------------------------------------------------ host peers

    private static String serveOneLine(ServerSocket server) {
        try (Socket s = server.accept()) {
            s.setSoTimeout(20000);
            InputStream in = s.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int c; (c = in.read()) >= 0 && c != '\n'; ) {
                line.write(c);
            }
            String text = line.toString(StandardCharsets.US_ASCII);
            s.getOutputStream().write(("hello from the host\n" + text.toUpperCase() + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return text;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String talk(int port, String line) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(20000);
            s.getOutputStream().write(line.getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void echoOnce(DatagramSocket s) {
        try {
            s.setSoTimeout(20000);
            DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
            s.receive(p);
            s.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ decoding

    private static EthernetPacket eth(byte[] f) {
        try {
            return EthernetPacket.newPacket(f, 0, f.length);
        } catch (org.pcap4j.packet.IllegalRawDataException e) {
            throw new AssertionError(e);
        }
    }

    private static Tcp guestSyn(List<byte[]> guest) {
        return guest.stream().map(Tcp::of).filter(t -> t != null && t.flags() == Tcp.SYN).findFirst().orElseThrow();
    }

    private static int guestIss(List<byte[]> guest, int guestPort) {
        return guest.stream().map(Tcp::of).filter(t -> t != null && t.srcPort() == guestPort
                && (t.flags() & Tcp.SYN) != 0).findFirst().orElseThrow().seq();
    }

    /** The network's side of one TCP connection, numbers relative to each side's ISN. */
    private static final class Conversation {
        int synFlags;
        int synAckRelAck = -1;
        int mss;
        byte[] stream;
        int finRelSeq = -1;
        int lastRelAck;
        int resets;
        int remotePort;
        int remoteAddress;

        static Conversation of(List<byte[]> fromNetwork, int guestPort, int guestIss) {
            Conversation c = new Conversation();
            Map<Integer, byte[]> bySeq = new java.util.TreeMap<>();
            int iss = 0;
            for (byte[] f : fromNetwork) {
                Tcp t = Tcp.of(f);
                if (t == null || t.dstPort() != guestPort) {
                    continue;
                }
                if ((t.flags() & Tcp.SYN) != 0) {
                    iss = t.seq();
                    c.synFlags = t.flags();
                    c.mss = t.mss();
                    c.remotePort = t.srcPort();
                    c.remoteAddress = java.nio.ByteBuffer.wrap(f, 26, 4).getInt();
                    if ((t.flags() & Tcp.ACK) != 0) {
                        c.synAckRelAck = t.ack() - guestIss;
                    }
                    continue;
                }
                int rel = t.seq() - iss;
                if (t.payload().length > 0) {
                    bySeq.put(rel, t.payload());
                }
                if ((t.flags() & Tcp.FIN) != 0) {
                    c.finRelSeq = rel + t.payload().length;
                }
                if ((t.flags() & Tcp.RST) != 0) {
                    c.resets++;
                }
                if ((t.flags() & Tcp.ACK) != 0) {
                    c.lastRelAck = t.ack() - guestIss;
                }
            }
            ByteArrayOutputStream s = new ByteArrayOutputStream();
            bySeq.values().forEach(s::writeBytes);
            c.stream = s.toByteArray();
            return c;
        }
    }

    /** A DHCP reply's fields. */
    private record Dhcp(int type, int xid, int yiaddr, String chaddr, int ipDst, Map<Integer, String> options) {
    }

    private static List<Dhcp> dhcp(List<byte[]> frames) {
        List<Dhcp> out = new ArrayList<>();
        for (byte[] f : frames) {
            IpV4Packet ip = eth(f).get(IpV4Packet.class);
            UdpPacket udp = eth(f).get(UdpPacket.class);
            if (ip == null || udp == null || udp.getHeader().getSrcPort().valueAsInt() != 67) {
                continue;
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(udp.getPayload().getRawData());
            Map<Integer, String> options = new LinkedHashMap<>();
            int type = -1;
            for (int o = 240; o < b.limit() && (b.get(o) & 0xff) != 255; ) {
                int code = b.get(o) & 0xff;
                if (code == 0) {
                    o++;
                    continue;
                }
                int len = b.get(o + 1) & 0xff;
                byte[] v = new byte[len];
                b.get(o + 2, v);
                options.put(code, java.util.HexFormat.of().formatHex(v));
                if (code == 53) {
                    type = v[0];
                }
                o += 2 + len;
            }
            byte[] mac = new byte[6];
            b.get(28, mac);
            out.add(new Dhcp(type, b.getInt(4), b.getInt(16), java.util.HexFormat.of().formatHex(mac),
                    java.nio.ByteBuffer.wrap(ip.getHeader().getDstAddr().getAddress()).getInt(), options));
        }
        return out;
    }

    /** Each DNS response by ID: header flags, questions and answers without TTLs. */
    private static Map<Integer, String> dnsAnswers(List<byte[]> frames) {
        Map<Integer, String> out = new LinkedHashMap<>();
        for (byte[] f : frames) {
            DnsPacket dns = eth(f).get(DnsPacket.class);
            if (dns == null || !dns.getHeader().isResponse()) {
                continue;
            }
            DnsPacket.DnsHeader h = dns.getHeader();
            StringBuilder s = new StringBuilder();
            s.append(h.getOpCode()).append(" aa=").append(h.isAuthoritativeAnswer()).append(" tc=")
                    .append(h.isTruncated()).append(" rd=").append(h.isRecursionDesired()).append(" ra=")
                    .append(h.isRecursionAvailable()).append(' ').append(h.getrCode()).append(" q=")
                    .append(h.getQuestions());
            for (DnsResourceRecord a : h.getAnswers()) {
                s.append(" | ").append(a.getName()).append(' ').append(a.getDataType()).append(' ')
                        .append(a.getDataClass()).append(' ').append(a.getRData());
            }
            out.put(h.getId() & 0xffff, s.toString());
        }
        return out;
    }

    /** Offset and length of each IPv4 fragment of a UDP datagram to the guest. */
    private static List<int[]> fragments(List<byte[]> frames) {
        List<int[]> out = new ArrayList<>();
        for (byte[] f : frames) {
            IpV4Packet ip = eth(f).get(IpV4Packet.class);
            if (ip != null && ip.getHeader().getProtocol().value() == 17) {
                out.add(new int[] {ip.getHeader().getFragmentOffset() * 8, ip.getPayload().length()});
            }
        }
        return out;
    }

    /** The UDP payload of the datagram to the guest, reassembled from its fragments. */
    private static byte[] udpPayload(List<byte[]> frames) {
        byte[] d = new byte[65536];
        int len = 0;
        for (byte[] f : frames) {
            IpV4Packet ip = eth(f).get(IpV4Packet.class);
            if (ip != null && ip.getHeader().getProtocol().value() == 17) {
                byte[] p = ip.getPayload().getRawData();
                int off = ip.getHeader().getFragmentOffset() * 8;
                System.arraycopy(p, 0, d, off, p.length);
                len = Math.max(len, off + p.length);
            }
        }
        return len < 8 ? new byte[0] : java.util.Arrays.copyOfRange(d, 8, len);
    }

    /** Each neighbour advertisement: its target and flags. */
    private static List<String> neighbourAdvertisements(List<byte[]> frames) {
        List<String> out = new ArrayList<>();
        for (byte[] f : frames) {
            IcmpV6NeighborAdvertisementPacket na = eth(f).get(IcmpV6NeighborAdvertisementPacket.class);
            if (na != null) {
                var h = na.getHeader();
                out.add(dev.jslirp.core.wire.IpAddress.of(h.getTargetAddress()) + (h.getRouterFlag() ? " R" : "")
                        + (h.getSolicitedFlag() ? " S" : "") + (h.getOverrideFlag() ? " O" : ""));
            }
        }
        return out;
    }

    /** Each ICMPv6 echo reply: source, identifier, sequence and data. */
    private static List<String> echoReplies(List<byte[]> frames) {
        List<String> out = new ArrayList<>();
        for (byte[] f : frames) {
            IcmpV6EchoReplyPacket e = eth(f).get(IcmpV6EchoReplyPacket.class);
            if (e != null) {
                out.add(eth(f).get(IpV6Packet.class).getHeader().getSrcAddr().getHostAddress() + " id="
                        + e.getHeader().getIdentifierAsInt() + " seq=" + e.getHeader().getSequenceNumberAsInt()
                        + " data=" + java.util.HexFormat.of().formatHex(e.getPayload().getRawData()));
            }
        }
        return out;
    }
}
