package dev.jslirp.control;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.capture.CaptureLimits;
import dev.jslirp.capture.PacketCapture;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.QueueSink;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.core.wire.UdpPacket;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A jslirp network in the test JVM with a control server on a unix socket, both on one
 * event loop the test owns, and a scripted guest: frames to the guest collect in a
 * {@link QueueSink}, frames from it are built with {@link GuestFrames}.
 */
final class ControlRig implements AutoCloseable {
    /** The netdev id the server answers to. */
    static final String ID = "n0";

    final IoTransport io;
    final EventLoopGroup group;
    final QueueSink sink = new QueueSink();
    final JslirpNetwork network;
    final ControlServer server;
    final PacketCapture capture;
    final Path socket;

    /** A rig on the best I/O transport here (epoll on Linux). */
    ControlRig(Path dir) throws IOException {
        this(dir, IoTransport.best());
    }

    /** A rig whose loop, host sockets and control socket use {@code io}. */
    ControlRig(Path dir, IoTransport io) throws IOException {
        this(dir, io, dev.jslirp.nat.NatConfig.defaults());
    }

    /** A rig whose loop, host sockets and control socket use {@code io}, with the NAT of {@code nat}. */
    ControlRig(Path dir, IoTransport io, dev.jslirp.nat.NatConfig nat) throws IOException {
        this.io = io;
        this.group = io.newEventLoopGroup(1);
        this.socket = dir.resolve("control.sock");
        // An upstream on loopback that the tests never query: jslirp then never reads the host's resolv.conf.
        network = JslirpNetwork.builder()
                .dns(DnsConfig.builder().addUpstream("127.0.0.1:9").build())
                .nat(nat)
                .eventLoop(group.next(), io.hostChannels())
                .build();
        capture = new PacketCapture(network.guest(), CaptureLimits.defaults());
        ControlServer s = null;
        try {
            network.eventLoop().submit(() -> network.attach(sink)).syncUninterruptibly();
            s = ControlServer.start(network, ID, io, new Endpoint.Unix(socket), capture);
        } finally {
            if (s == null) {
                network.close();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
        server = s;
    }

    /** Sends one command on a new connection and returns the reply. */
    ControlReply send(String command) throws IOException {
        try (ControlClient c = client()) {
            return c.send(command);
        }
    }

    /** A new client of the control socket. */
    ControlClient client() throws IOException {
        return ControlClient.connect(server.endpoint(), Duration.ofSeconds(10));
    }

    /** Sends {@code command}, which must succeed, and returns the reply's text. */
    String ok(String command) throws IOException {
        ControlReply r = send(command);
        if (!r.isOk()) {
            throw new AssertionError(command + " failed: " + r.error());
        }
        return String.join("\n", r.lines());
    }

    /** A frame from the guest (ownership passes). */
    void fromGuest(ByteBuf frame) {
        network.eventLoop().submit(() -> network.receiveFromGuest(frame)).syncUninterruptibly();
    }

    /** The guest makes itself known, as any guest does before traffic, so frames to it need no ARP. */
    void guestSpeaks() {
        fromGuest(GuestFrames.arpRequest(GuestFrames.GATEWAY));
        expectFrame().release();
    }

    /** The next frame to the guest, within 5 s; the caller releases it. */
    ByteBuf expectFrame() {
        ByteBuf f = sink.poll(5000);
        if (f == null) {
            throw new AssertionError("expected a frame to the guest, got none");
        }
        return f;
    }

    /** Fails if a frame reaches the guest within {@code wait}. */
    void expectNothing(Duration wait) {
        ByteBuf f = sink.poll(wait.toMillis());
        if (f != null) {
            String hex = ByteBufUtil.hexDump(f);
            f.release();
            throw new AssertionError("expected no frame to the guest, got " + hex);
        }
    }

    /** A UDP datagram to the guest, as the test reads it. */
    record Udp(int srcIp, int srcPort, int dstIp, int dstPort, String payload) {
    }

    /** A TCP segment to the guest, as the test reads it. */
    record Tcp(int srcIp, int srcPort, int dstIp, int dstPort, int flags, int seq, int ack, int payloadLength) {
    }

    /** The next frame to the guest as a UDP datagram; released here. */
    Udp expectUdp() {
        ByteBuf f = expectFrame();
        try {
            Ipv4Packet ip = ipv4(f, Ipv4Packet.PROTO_UDP);
            UdpPacket u = new UdpPacket();
            if (!u.wrap(f, ip.payloadOffset(), ip.payloadLength())) {
                throw new AssertionError("not a UDP datagram: " + ByteBufUtil.hexDump(f));
            }
            return new Udp(ip.source(), u.sourcePort(), ip.destination(), u.destinationPort(),
                    f.toString(u.payloadOffset(), u.payloadLength(), java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            f.release();
        }
    }

    /** The next frame to the guest as a TCP segment; released here. */
    Tcp expectTcp() {
        ByteBuf f = expectFrame();
        try {
            Ipv4Packet ip = ipv4(f, Ipv4Packet.PROTO_TCP);
            TcpPacket t = new TcpPacket();
            if (!t.wrap(f, ip.payloadOffset(), ip.payloadLength())) {
                throw new AssertionError("not a TCP segment: " + ByteBufUtil.hexDump(f));
            }
            return new Tcp(ip.source(), t.sourcePort(), ip.destination(), t.destinationPort(), t.flags(), t.seq(),
                    t.ack(), ip.payloadLength() - t.headerLength());
        } finally {
            f.release();
        }
    }

    private static Ipv4Packet ipv4(ByteBuf f, int protocol) {
        EthernetFrame eth = new EthernetFrame();
        Ipv4Packet ip = new Ipv4Packet();
        if (!eth.wrap(f) || eth.etherType() != EthernetFrame.TYPE_IPV4
                || ip.wrap(f, eth.payloadOffset(), f.writerIndex()) != null || ip.protocol() != protocol) {
            throw new AssertionError("not an IPv4 packet of protocol " + protocol + ": " + ByteBufUtil.hexDump(f));
        }
        return ip;
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            capture.close();
            network.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            sink.releaseAll();
        }
    }
}
