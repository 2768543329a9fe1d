package dev.jslirp.captures;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.testkit.QueueSink;
import dev.jslirp.dns.DnsConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.InputStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.ArpPacket;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.namednumber.ArpOperation;

/**
 * Replays what a real guest sent (captures/guest-arp-ping-syn.pcap, see
 * captures/README.md) through the assembled network, and checks jslirp's answers
 * with pcap4j's decoders against what the guest expected (the answers libslirp gave
 * in the same capture), after masking what may differ (IP identification, TTL,
 * checksums). On failure the frames jslirp sent are written to
 * target/replay/*.pcap for Wireshark.
 */
class CaptureReplayTest {
    private static final String GUEST_MAC = "52:54:00:12:34:56";

    @Test
    void arpEchoAndResetAnswersMatchTheCapturedOnes() throws Exception {
        List<PcapFile.Frame> capture;
        try (InputStream in = getClass().getResourceAsStream("/captures/guest-arp-ping-syn.pcap")) {
            capture = PcapFile.read(in);
        }
        List<EthernetPacket> fromGuest = new ArrayList<>();
        List<EthernetPacket> libslirpAnswers = new ArrayList<>();
        for (PcapFile.Frame f : capture) {
            EthernetPacket e = EthernetPacket.newPacket(f.data(), 0, f.data().length);
            (e.getHeader().getSrcAddr().toString().equals(GUEST_MAC) ? fromGuest : libslirpAnswers).add(e);
        }

        QueueSink sink = new QueueSink();
        List<byte[]> sent = new ArrayList<>();
        List<EthernetPacket> answers = new ArrayList<>();
        // an upstream nobody needs: the replay sends no DNS, and nothing may reach the host's resolver
        DnsConfig dns = DnsConfig.builder().addUpstream("127.0.0.1:9").build();
        try (JslirpNetwork net = JslirpNetwork.builder().dns(dns).build()) {
            net.attach(sink);
            for (EthernetPacket e : fromGuest) {
                if (isArpIcmpOrTcp(e)) {
                    net.receiveFromGuest(Unpooled.wrappedBuffer(e.getRawData()));
                }
            }
            ByteBuf f;
            while ((f = sink.poll(1000)) != null) {
                byte[] b = ByteBufUtil.getBytes(f);
                f.release();
                sent.add(b);
                answers.add(EthernetPacket.newPacket(b, 0, b.length));
            }
        }
        try {
            List<EthernetPacket> expectedArp = only(libslirpAnswers, ArpPacket.class);
            List<EthernetPacket> gotArp = only(answers, ArpPacket.class);
            assertThat(gotArp).hasSameSizeAs(expectedArp).isNotEmpty();
            for (int i = 0; i < gotArp.size(); i++) {
                ArpPacket.ArpHeader got = gotArp.get(i).get(ArpPacket.class).getHeader();
                ArpPacket.ArpHeader exp = expectedArp.get(i).get(ArpPacket.class).getHeader();
                assertThat(got.getOperation()).isEqualTo(ArpOperation.REPLY);
                assertThat(got.getSrcHardwareAddr()).isEqualTo(exp.getSrcHardwareAddr());
                assertThat(got.getSrcProtocolAddr()).isEqualTo(exp.getSrcProtocolAddr());
                assertThat(got.getDstHardwareAddr()).isEqualTo(exp.getDstHardwareAddr());
                assertThat(got.getDstProtocolAddr()).isEqualTo(exp.getDstProtocolAddr());
            }
            // echo replies: one small, one 3000-byte (fragmented both ways in the capture)
            List<byte[]> expEcho = echoReplies(libslirpAnswers);
            List<byte[]> gotEcho = echoReplies(answers);
            assertThat(gotEcho).hasSize(2);
            assertThat(gotEcho).containsExactlyElementsOf(expEcho);
            // the SYN to the host's closed port 1 is reset as libslirp reset it
            assertThat(resetTo(answers)).isNotNull().isEqualTo(resetTo(libslirpAnswers));
            for (EthernetPacket e : answers) {
                IpV4Packet ip = e.get(IpV4Packet.class);
                if (ip != null) {
                    assertThat(ip.getHeader().hasValidChecksum(false)).isTrue();
                    assertThat(ip.getHeader().getTotalLengthAsInt()).isLessThanOrEqualTo(1500);
                }
            }
        } catch (AssertionError e) {
            Path out = Paths.get("target", "replay", "arp-echo-reset-actual.pcap");
            PcapFile.write(out, sent);
            throw new AssertionError(e.getMessage() + "\n(jslirp's frames written to " + out.toAbsolutePath() + ")", e);
        }
    }

    private static boolean isArpIcmpOrTcp(EthernetPacket e) {
        if (e.contains(ArpPacket.class)) {
            return true;
        }
        IpV4Packet ip = e.get(IpV4Packet.class);
        return ip != null && (ip.getHeader().getProtocol().value() == 1 || ip.getHeader().getProtocol().value() == 6);
    }

    /**
     * The RST answering the guest's SYN to 10.0.2.2:1 (nothing listens on the host's port
     * 1): ports, flags, sequence and acknowledgment numbers. A SYN carries no ACK, so the
     * reset is SEQ=0, ACK=the SYN's sequence number plus one (RFC 9293 section 3.10.7.1).
     */
    private static String resetTo(List<EthernetPacket> frames) {
        for (EthernetPacket e : frames) {
            TcpPacket tcp = e.get(TcpPacket.class);
            if (tcp != null && tcp.getHeader().getRst()) {
                TcpPacket.TcpHeader h = tcp.getHeader();
                return h.getSrcPort().valueAsInt() + "->" + h.getDstPort().valueAsInt() + " rst ack=" + h.getAck()
                        + " ackno=" + Integer.toUnsignedString(h.getAcknowledgmentNumber()) + " seq="
                        + Integer.toUnsignedString(h.getSequenceNumber()) + " data=" + (tcp.getPayload() != null);
            }
        }
        return null;
    }

    private static List<EthernetPacket> only(List<EthernetPacket> frames, Class<? extends Packet> type) {
        List<EthernetPacket> out = new ArrayList<>();
        for (EthernetPacket e : frames) {
            if (e.contains(type)) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Each echo reply's identifier, sequence and data as one byte string, reassembling
     * fragments by IP identification (pcap4j decodes, the test only orders bytes).
     */
    private static List<byte[]> echoReplies(List<EthernetPacket> frames) {
        java.util.Map<Integer, byte[]> byId = new java.util.LinkedHashMap<>();
        java.util.Map<Integer, Integer> lengths = new java.util.HashMap<>();
        for (EthernetPacket e : frames) {
            IpV4Packet ip = e.get(IpV4Packet.class);
            if (ip == null || ip.getHeader().getProtocol().value() != 1) {
                continue;
            }
            int id = ip.getHeader().getIdentificationAsInt();
            byte[] payload = ip.getPayload().getRawData();
            int off = ip.getHeader().getFragmentOffset() * 8;
            byte[] buf = byId.computeIfAbsent(id, k -> new byte[65536]);
            System.arraycopy(payload, 0, buf, off, payload.length);
            lengths.merge(id, off + payload.length, Math::max);
        }
        List<byte[]> out = new ArrayList<>();
        for (var en : byId.entrySet()) {
            byte[] icmp = java.util.Arrays.copyOf(en.getValue(), lengths.get(en.getKey()));
            if ((icmp[0] & 0xff) == 0) {            // echo reply
                out.add(java.util.Arrays.copyOfRange(icmp, 4, icmp.length));   // id, seq, data
            }
        }
        return out;
    }
}
