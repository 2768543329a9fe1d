package dev.jslirp.nat.udp;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_IP;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_MAC;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.PcapFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.Await;
import dev.jslirp.nat.NatService;
import dev.jslirp.nat.UdpFiltering;
import dev.jslirp.nat.hostfwd.HostForward;
import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.UdpPacket;
import org.pcap4j.packet.namednumber.IcmpV4Code;
import org.pcap4j.packet.namednumber.IcmpV4Type;
import org.pcap4j.util.IpV4Helper;

/**
 * The UDP NAT on a real event loop with real UDP peers on 127.0.0.1; frames to the
 * guest are decoded (and fragments reassembled) by pcap4j. Run once per transport and
 * filtering mode by the subclasses ({@link UdpNatNioTest}, {@link UdpNatEpollTest},
 * {@link UdpNatNioAddressPortTest}, {@link UdpNatEpollAddressPortTest}); where the modes
 * differ, a test states what each does.
 */
abstract class UdpNatTest {
    private static final Inet4Address GATEWAY_INET = (Inet4Address) Ipv4Address.toInetAddress(GATEWAY);
    private static final Inet4Address GUEST_INET = (Inet4Address) Ipv4Address.toInetAddress(GUEST_IP);
    private static final Duration QUIET = Duration.ofMillis(300);

    // ---------------------------------------------------------------- helpers

    /** A guest network on a real event loop of the transport under test, with {@code nat}. */
    abstract VirtualGuest guest(NetworkConfig net, NatService nat);

    /** The filtering under test. */
    abstract UdpFiltering filtering();

    /**
     * True if the host's ICMP errors reach the NAT: always for connected sockets
     * ({@code address-port}); for an endpoint's unconnected socket only through its error
     * queue, which only the epoll transport reads.
     */
    abstract boolean reportsHostErrors();

    /** A configuration with the filtering under test. */
    NatConfig.Builder config() {
        return NatConfig.builder().udpFiltering(filtering());
    }

    private VirtualGuest guest(NatService nat) {
        return guest(NetworkConfig.defaults(), nat);
    }

    private static Counters<UdpCounter> counters(VirtualGuest g) {
        return g.network().stats().service("nat.udp", UdpCounter.class);
    }

    private static <T> T onLoop(VirtualGuest g, Callable<T> task) throws Exception {
        return g.network().eventLoop().submit(task).get(5, TimeUnit.SECONDS);
    }

    /** The next frame, which must be an unfragmented UDP datagram with valid checksums. */
    private static UdpPacket expectUdp(VirtualGuest g, Inet4Address src, int dstPort) throws Exception {
        EthernetPacket eth = PcapFrames.decode(g.expectFrame());
        IpV4Packet ip = eth.get(IpV4Packet.class);
        assertThat(ip).as("IPv4 frame").isNotNull();
        assertThat(ip.getHeader().hasValidChecksum(false)).isTrue();
        assertThat(ip.getHeader().getSrcAddr()).isEqualTo(src);
        assertThat(ip.getHeader().getDstAddr()).isEqualTo(GUEST_INET);
        UdpPacket udp = ip.get(UdpPacket.class);
        assertThat(udp).as("UDP datagram").isNotNull();
        assertThat(udp.hasValidChecksum(src, GUEST_INET, false)).isTrue();
        assertThat(udp.getHeader().getDstPort().valueAsInt()).isEqualTo(dstPort);
        return udp;
    }

    /** The next frame, which must be ICMP destination unreachable with {@code code} from {@code src}. */
    private static byte[] expectUnreachable(VirtualGuest g, Inet4Address src, IcmpV4Code code) throws Exception {
        EthernetPacket eth = PcapFrames.decode(g.expectFrame());
        IpV4Packet ip = eth.get(IpV4Packet.class);
        assertThat(ip.getHeader().getSrcAddr()).isEqualTo(src);
        assertThat(ip.getHeader().getDstAddr()).isEqualTo(GUEST_INET);
        IcmpV4CommonPacket icmp = eth.get(IcmpV4CommonPacket.class);
        assertThat(icmp.getHeader().getType()).isEqualTo(IcmpV4Type.DESTINATION_UNREACHABLE);
        assertThat(icmp.getHeader().getCode()).isEqualTo(code);
        assertThat(icmp.hasValidChecksum(false)).isTrue();
        byte[] rest = icmp.getPayload().getRawData();
        return java.util.Arrays.copyOfRange(rest, 4, rest.length); // after the unused 4 bytes: the quote
    }

    /** Checks that {@code quote} starts with the header of the guest's datagram {@code srcPort -> dst:dstPort}. */
    private static void assertQuotes(byte[] quote, int dst, int srcPort, int dstPort) throws Exception {
        assertThat(quote.length).isGreaterThanOrEqualTo(28);
        IpV4Packet.IpV4Header h = IpV4Packet.newPacket(quote, 0, quote.length).getHeader();
        assertThat(h.getSrcAddr()).isEqualTo(GUEST_INET);
        assertThat(h.getDstAddr()).isEqualTo(Ipv4Address.toInetAddress(dst));
        int ihl = (quote[0] & 0x0f) * 4;
        assertThat(((quote[ihl] & 0xff) << 8) | (quote[ihl + 1] & 0xff)).isEqualTo(srcPort);
        assertThat(((quote[ihl + 2] & 0xff) << 8) | (quote[ihl + 3] & 0xff)).isEqualTo(dstPort);
    }

    /** Sends {@code text} from the guest's {@code guestPort} to {@code server} through the gateway; the reply. */
    private static UdpPacket roundTrip(VirtualGuest g, int guestPort, HostPeer server, String text) throws Exception {
        g.send(GuestFrames.udp(guestPort, GATEWAY, server.port(), ascii(text)));
        return expectUdp(g, GATEWAY_INET, guestPort);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Where the network's forwards listen. */
    private static List<InetSocketAddress> forwardAddresses(NatService nat) {
        return nat.forwards().stream().map(dev.jslirp.nat.hostfwd.HostForwards.Active::listening).toList();
    }

    private static void learnGuest(VirtualGuest g) throws Exception {
        onLoop(g, () -> {
            g.network().addNeighbor(dev.jslirp.core.wire.IpAddress.ipv4(GUEST_IP), GUEST_MAC);
            return null;
        });
    }

    // ---------------------------------------------------------------- guest flows

    @Test
    void datagramToGatewayReachesHostLoopbackAndReplyComesFromGateway() throws Exception {
        NatService nat = new NatService(config().build());
        try (HostPeer echo = HostPeer.echo(); VirtualGuest g = guest(nat)) {
            UdpPacket reply = roundTrip(g, 40000, echo, "hello host");
            assertThat(reply.getHeader().getSrcPort().valueAsInt()).isEqualTo(echo.port());
            assertThat(reply.getPayload().getRawData()).isEqualTo(ascii("hello host"));
            assertThat(echo.senders()).hasSize(1);
            assertThat(echo.senders().get(0).getAddress().isLoopbackAddress()).isTrue();
            Counters<UdpCounter> c = counters(g);
            assertThat(c.get(UdpCounter.FLOWS_OPENED)).isEqualTo(1);
            assertThat(c.get(UdpCounter.DATAGRAMS_TO_HOST)).isEqualTo(1);
            assertThat(c.get(UdpCounter.DATAGRAMS_TO_GUEST)).isEqualTo(1);
            assertThat(c.get(UdpCounter.BYTES_TO_GUEST)).isEqualTo(10);
            assertThat(c.get(UdpCounter.DATAGRAMS_COPIED_TO_GUEST)).as("zero copy from a connected socket").isZero();
        }
    }

    /** slirp4netns's --outbound-addr: the flow's host socket (connected or the endpoint's) is bound to the address. */
    @Test
    void flowLeavesFromTheOutboundAddress() throws Exception {
        NatService nat = new NatService(config()
                .outboundAddress(java.net.InetAddress.getByName("127.0.0.2")).build());
        try (HostPeer echo = HostPeer.echo(); VirtualGuest g = guest(nat)) {
            roundTrip(g, 40000, echo, "from .2");
            assertThat(echo.senders().get(0).getAddress().getHostAddress()).isEqualTo("127.0.0.2");
        }
    }

    /**
     * Host sockets ask for a receive buffer that rides out a busy event loop (the
     * kernel's 208 KiB default holds three 64 KiB datagrams); the kernel caps the
     * request at net.core.rmem_max and reports twice what it granted.
     */
    @Test
    void hostSocketsAskForAReceiveBufferForBursts() throws Exception {
        // readAllLines, not readString: /proc files report a size that readString trusts.
        long rmemMax = Long.parseLong(java.nio.file.Files.readAllLines(
                java.nio.file.Path.of("/proc/sys/net/core/rmem_max")).get(0).trim());
        NatService nat = new NatService(config().build());
        try (VirtualGuest g = guest(nat)) {
            List<Integer> sizes = new ArrayList<>();
            g.onLoop(() -> {
                for (boolean connected : new boolean[] {true, false}) {
                    io.netty.channel.socket.DatagramChannel ch = nat.udp().relay()
                            .newChannel(new io.netty.channel.ChannelInboundHandlerAdapter(), connected);
                    sizes.add(ch.config().getReceiveBufferSize());
                    ch.close();
                }
            });
            assertThat(sizes).hasSize(2).allSatisfy(size ->
                    assertThat((long) size).isGreaterThanOrEqualTo(Math.min(UdpRelay.RECEIVE_BUFFER, rmemMax)));
        }
    }

    @Test
    void twoGuestPortsToOneServerMapIndependently() throws Exception {
        NatService nat = new NatService(config().build());
        try (HostPeer echo = HostPeer.echo(); VirtualGuest g = guest(nat)) {
            UdpPacket first = roundTrip(g, 40001, echo, "one");
            UdpPacket second = roundTrip(g, 40002, echo, "two");
            UdpPacket third = roundTrip(g, 40001, echo, "one again");

            assertThat(first.getPayload().getRawData()).isEqualTo(ascii("one"));
            assertThat(second.getPayload().getRawData()).isEqualTo(ascii("two"));
            assertThat(third.getPayload().getRawData()).isEqualTo(ascii("one again"));
            List<InetSocketAddress> senders = echo.senders();
            assertThat(senders).hasSize(3);
            assertThat(senders.get(0).getPort()).isNotEqualTo(senders.get(1).getPort());
            assertThat(senders.get(2).getPort()).isEqualTo(senders.get(0).getPort());
            assertThat(counters(g).get(UdpCounter.FLOWS_OPENED)).isEqualTo(2);
            assertThat(onLoop(g, nat.udp()::flowCount)).isEqualTo(2);
        }
    }

    @Test
    void fragmentedDatagramsCrossBothWaysWhole() throws Exception {
        byte[] data = random(4000, 1);
        NatService nat = new NatService(config().build());
        try (HostPeer echo = HostPeer.echo(); VirtualGuest g = guest(nat)) {
            List<ByteBuf> fragments = GuestFragments.udp(40000, GATEWAY, echo.port(), data, 1500, 0x4242);
            assertThat(fragments).hasSize(3);
            for (ByteBuf f : fragments) {
                g.send(f);
            }

            Await.until("the server to get the datagram", () -> echo.requests().size() == 1);
            assertThat(echo.requests().get(0)).isEqualTo(data);

            List<IpV4Packet> pieces = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ByteBuf frame = g.expectFrame();
                assertThat(frame.readableBytes()).isLessThanOrEqualTo(14 + 1500);
                IpV4Packet ip = PcapFrames.decode(frame).get(IpV4Packet.class);
                assertThat(ip.getHeader().hasValidChecksum(false)).isTrue();
                assertThat(ip.getHeader().getSrcAddr()).isEqualTo(GATEWAY_INET);
                assertThat(ip.getHeader().getMoreFragmentFlag()).isEqualTo(i < 2);
                pieces.add(ip);
            }
            g.expectNothing(Duration.ofMillis(100));
            UdpPacket udp = IpV4Helper.defragment(pieces).get(UdpPacket.class);
            assertThat(udp.hasValidChecksum(GATEWAY_INET, GUEST_INET, false)).isTrue();
            assertThat(udp.getHeader().getDstPort().valueAsInt()).isEqualTo(40000);
            assertThat(udp.getPayload().getRawData()).isEqualTo(data);
        }
    }

    @Test
    void largestDatagramFromHostReachesGuestInFragments() throws Exception {
        byte[] big = random(65535 - 20 - 8, 2);   // the largest UDP payload over IPv4
        NatService nat = new NatService(config().build());
        try (HostPeer server = HostPeer.serve(req -> big); VirtualGuest g = guest(nat)) {
            g.send(GuestFrames.udp(40000, GATEWAY, server.port(), ascii("big please")));

            List<IpV4Packet> pieces = new ArrayList<>();
            IpV4Packet last;
            do {
                last = PcapFrames.decode(g.expectFrame()).get(IpV4Packet.class);
                pieces.add(last);
            } while (last.getHeader().getMoreFragmentFlag());
            assertThat(pieces).hasSize((65535 - 20 + 1479) / 1480);
            UdpPacket udp = IpV4Helper.defragment(pieces).get(UdpPacket.class);
            assertThat(udp.hasValidChecksum(GATEWAY_INET, GUEST_INET, false)).isTrue();
            assertThat(udp.getPayload().getRawData()).isEqualTo(big);
            assertThat(counters(g).get(UdpCounter.DATAGRAMS_COPIED_TO_GUEST)).isZero();
        }
    }

    @Test
    void datagramToClosedHostPortGetsIcmpPortUnreachable() throws Exception {
        int closedPort;
        try (HostPeer gone = HostPeer.bind()) {
            closedPort = gone.port();
        }
        NatService nat = new NatService(config().build());
        try (VirtualGuest g = guest(nat)) {
            g.send(GuestFrames.udp(40000, GATEWAY, closedPort, ascii("anyone?")));

            if (!reportsHostErrors()) {
                // NIO's unconnected socket never hears of the host's ICMP error.
                g.expectNothing(QUIET);
                assertThat(counters(g).get(UdpCounter.ICMP_PORT_UNREACHABLE)).isZero();
                return;
            }
            byte[] quote = expectUnreachable(g, GATEWAY_INET, IcmpV4Code.PORT_UNREACHABLE);
            assertQuotes(quote, GATEWAY, 40000, closedPort);
            assertThat(counters(g).get(UdpCounter.ICMP_PORT_UNREACHABLE)).isEqualTo(1);

            // The socket goes on: a second datagram to a server that is there is answered.
            try (HostPeer echo = HostPeer.echo()) {
                assertThat(roundTrip(g, 40000, echo, "and you?").getPayload().getRawData()).isEqualTo(ascii("and you?"));
            }
        }
    }

    /**
     * TFTP's pattern (RFC 1350 section 4): the server answers a request from a new port, and
     * the client's next datagram goes to that port. With endpoint-independent filtering the
     * answer reaches the guest from the gateway and the new port, and the guest's reply to it
     * leaves from the same host port as the request, as the server checks; with
     * address-and-port-dependent filtering the kernel drops the answer on the flow's
     * connected socket.
     */
    @Test
    void anAnswerFromANewHostPortFollowsTheFilteringMode() throws Exception {
        NatService nat = new NatService(config().build());
        try (HostPeer server = HostPeer.bind(); HostPeer transfer = HostPeer.bind(); VirtualGuest g = guest(nat)) {
            g.send(GuestFrames.udp(40000, GATEWAY, server.port(), ascii("RRQ file")));
            HostPeer.Received request = server.receive(Duration.ofSeconds(5));
            assertThat(request.data()).isEqualTo(ascii("RRQ file"));

            transfer.send(ascii("DATA 1"), request.sender());

            if (filtering() == UdpFiltering.ADDRESS_PORT) {
                g.expectNothing(QUIET);
                assertThat(counters(g).get(UdpCounter.DATAGRAMS_TO_GUEST)).isZero();
                return;
            }
            UdpPacket data = expectUdp(g, GATEWAY_INET, 40000);
            assertThat(data.getHeader().getSrcPort().valueAsInt()).isEqualTo(transfer.port());
            assertThat(data.getPayload().getRawData()).isEqualTo(ascii("DATA 1"));

            g.send(GuestFrames.udp(40000, GATEWAY, transfer.port(), ascii("ACK 1")));
            HostPeer.Received ack = transfer.receive(Duration.ofSeconds(5));
            assertThat(ack.data()).isEqualTo(ascii("ACK 1"));
            assertThat(ack.sender()).as("one guest port is one host port").isEqualTo(request.sender());

            Counters<UdpCounter> c = counters(g);
            assertThat(c.get(UdpCounter.FLOWS_OPENED)).isEqualTo(2);
            assertThat(c.get(UdpCounter.FLOWS_OPENED_BY_HOST)).isEqualTo(1);
            assertThat(c.get(UdpCounter.HOST_SOCKETS_OPENED)).isEqualTo(1);
            assertThat(onLoop(g, nat.udp()::flowCount)).isEqualTo(2);
            assertThat(onLoop(g, nat.udp()::endpointSocketCount)).isEqualTo(1);
        }
    }

    /**
     * The same over IPv6: the guest's datagram to fec0::2 reaches the host's ::1, and an
     * answer from a new port of ::1 reaches the guest from fec0::2 and that port (only with
     * endpoint-independent filtering).
     */
    @Test
    void ipv6AnswersFromTheHostsLoopbackFollowTheFilteringMode() throws Exception {
        NatService nat = new NatService(config().build());
        try (HostPeer server = HostPeer.bind6(); HostPeer other = HostPeer.bind6(); VirtualGuest g = guest(nat)) {
            g.send(GuestFrames6.udp(40000, GuestFrames6.HOST6, server.port(), ascii("hello six")));
            HostPeer.Received request = server.receive(Duration.ofSeconds(5));
            assertThat(request.data()).isEqualTo(ascii("hello six"));
            assertThat(request.sender().getAddress().isLoopbackAddress()).isTrue();

            server.send(ascii("same port"), request.sender());
            org.pcap4j.packet.IpV6Packet ip = PcapFrames.decode(g.expectFrame()).get(org.pcap4j.packet.IpV6Packet.class);
            assertThat(ip.getHeader().getSrcAddr()).isEqualTo(GuestFrames6.HOST6.toInetAddress());
            UdpPacket reply = ip.get(UdpPacket.class);
            assertThat(reply.getHeader().getSrcPort().valueAsInt()).isEqualTo(server.port());
            assertThat(reply.hasValidChecksum(ip.getHeader().getSrcAddr(), ip.getHeader().getDstAddr(), false)).isTrue();

            other.send(ascii("new port"), request.sender());
            if (filtering() == UdpFiltering.ADDRESS_PORT) {
                g.expectNothing(QUIET);
                return;
            }
            UdpPacket fromOther = PcapFrames.decode(g.expectFrame()).get(UdpPacket.class);
            assertThat(fromOther.getHeader().getSrcPort().valueAsInt()).isEqualTo(other.port());
            assertThat(fromOther.getPayload().getRawData()).isEqualTo(ascii("new port"));
        }
    }

    /**
     * Endpoint-independent mapping (RFC 4787 REQ-1): a guest port keeps its host port towards
     * every remote, which is what lets STUN find the guest's public port. Address-and-port-
     * dependent: a host socket, so a host port, per remote.
     */
    @Test
    void oneGuestPortToTwoServersUsesOneHostPortOnlyWithEndpointFiltering() throws Exception {
        NatService nat = new NatService(config().build());
        try (HostPeer a = HostPeer.echo(); HostPeer b = HostPeer.echo(); VirtualGuest g = guest(nat)) {
            roundTrip(g, 40000, a, "to a");
            roundTrip(g, 40000, b, "to b");

            int portA = a.senders().get(0).getPort();
            int portB = b.senders().get(0).getPort();
            if (filtering() == UdpFiltering.ENDPOINT) {
                assertThat(portB).isEqualTo(portA);
                assertThat(onLoop(g, nat.udp()::endpointSocketCount)).isEqualTo(1);
            } else {
                assertThat(portB).isNotEqualTo(portA);
                assertThat(onLoop(g, nat.udp()::endpointSocketCount)).isZero();
            }
            assertThat(onLoop(g, nat.udp()::flowCount)).isEqualTo(2);
        }
    }

    /**
     * Senders the guest never wrote to open flows of their own, but never push out the guest's
     * flows: at the bound their datagrams are dropped and counted. The endpoint's socket closes
     * with its last flow.
     */
    @Test
    void newHostSendersAtTheFlowBoundAreDroppedAndTheGuestsFlowsStay() throws Exception {
        NatService nat = new NatService(config().maxUdpFlows(2).build());
        try (HostPeer server = HostPeer.bind(); HostPeer x = HostPeer.bind(); HostPeer y = HostPeer.bind();
             VirtualGuest g = guest(nat)) {
            g.send(GuestFrames.udp(40000, GATEWAY, server.port(), ascii("hello")));
            InetSocketAddress hostPort = server.receive(Duration.ofSeconds(5)).sender();

            x.send(ascii("from x"), hostPort);
            if (filtering() == UdpFiltering.ADDRESS_PORT) {
                g.expectNothing(QUIET);
                return;
            }
            assertThat(expectUdp(g, GATEWAY_INET, 40000).getHeader().getSrcPort().valueAsInt()).isEqualTo(x.port());
            y.send(ascii("from y"), hostPort);
            Await.until("y's datagram to be dropped", () -> counters(g).get(UdpCounter.DROPPED_NEW_SENDER_AT_LIMIT) == 1);
            g.expectNothing(Duration.ofMillis(50));
            assertThat(counters(g).get(UdpCounter.FLOWS_EVICTED)).isZero();

            server.send(ascii("still yours"), hostPort);
            assertThat(expectUdp(g, GATEWAY_INET, 40000).getPayload().getRawData()).isEqualTo(ascii("still yours"));

            g.network().detach();
            assertThat(onLoop(g, nat.udp()::endpointSocketCount)).isZero();
        }
    }

    @Test
    void idleFlowIsClosedAfterTheTimeout() throws Exception {
        NatService nat = new NatService(config().udpIdleTimeout(Duration.ofMillis(300)).build());
        try (HostPeer echo = HostPeer.echo(); VirtualGuest g = guest(nat)) {
            long start = System.nanoTime();
            roundTrip(g, 40000, echo, "ping");
            assertThat(onLoop(g, nat.udp()::flowCount)).isEqualTo(1);

            Await.until("the idle flow to close", () -> counters(g).get(UdpCounter.FLOWS_IDLE_CLOSED) == 1);
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
            assertThat(onLoop(g, nat.udp()::flowCount)).isZero();

            roundTrip(g, 40000, echo, "again");
            assertThat(counters(g).get(UdpCounter.FLOWS_OPENED)).isEqualTo(2);
        }
    }

    @Test
    void trafficKeepsAFlowOpenPastTheTimeout() throws Exception {
        NatService nat = new NatService(config().udpIdleTimeout(Duration.ofMillis(800)).build());
        try (HostPeer echo = HostPeer.echo(); VirtualGuest g = guest(nat)) {
            for (int i = 0; i < 20; i++) {
                roundTrip(g, 40000, echo, "tick " + i);
                Thread.sleep(100);
            }
            assertThat(counters(g).get(UdpCounter.FLOWS_IDLE_CLOSED)).isZero();
            assertThat(counters(g).get(UdpCounter.FLOWS_OPENED)).isEqualTo(1);
            assertThat(echo.senders().stream().map(InetSocketAddress::getPort).distinct()).hasSize(1);
        }
    }

    @Test
    void flowsBeyondTheBoundEvictTheLeastRecentlyUsed() throws Exception {
        NatService nat = new NatService(config().maxUdpFlows(2).build());
        try (HostPeer echo = HostPeer.echo(); VirtualGuest g = guest(nat)) {
            for (int port : new int[] {1001, 1002, 1001, 1003}) {
                roundTrip(g, port, echo, "from " + port);
            }
            Counters<UdpCounter> c = counters(g);
            assertThat(c.get(UdpCounter.FLOWS_OPENED)).isEqualTo(3);
            assertThat(c.get(UdpCounter.FLOWS_EVICTED)).isEqualTo(1);
            assertThat(onLoop(g, nat.udp()::flowCount)).isEqualTo(2);

            // 1001 was used after 1002, so 1002 went: 1001 still has its flow, 1002 needs a new one.
            roundTrip(g, 1001, echo, "still here");
            assertThat(c.get(UdpCounter.FLOWS_OPENED)).isEqualTo(3);
            roundTrip(g, 1002, echo, "back");
            assertThat(c.get(UdpCounter.FLOWS_OPENED)).isEqualTo(4);
            assertThat(c.get(UdpCounter.FLOWS_EVICTED)).isEqualTo(2);
            assertThat(onLoop(g, nat.udp()::flowCount)).isEqualTo(2);
        }
    }

    @Test
    void broadcastAndMulticastNeverReachTheHost() throws Exception {
        NatService nat = new NatService(config().build());
        try (HostPeer listener = HostPeer.bind(); VirtualGuest g = guest(nat)) {
            int port = listener.port();
            g.send(GuestFrames.udp(40000, Ipv4Address.BROADCAST, port, ascii("all")));
            g.send(GuestFrames.udp(40000, Ipv4Address.parse("10.0.2.255"), port, ascii("net")));
            g.send(GuestFrames.udp(40000, Ipv4Address.parse("224.0.0.251"), port, ascii("mdns")));
            g.send(GuestFrames.udp(40000, Ipv4Address.parse("239.1.2.3"), port, ascii("group")));

            assertThat(listener.receive(QUIET)).isNull();
            g.expectNothing(Duration.ofMillis(50));
            Counters<UdpCounter> c = counters(g);
            assertThat(c.get(UdpCounter.DROPPED_BROADCAST)).isEqualTo(2);
            assertThat(c.get(UdpCounter.DROPPED_MULTICAST)).isEqualTo(2);
            assertThat(c.get(UdpCounter.FLOWS_OPENED)).isZero();

            // The listener does hear unicast to the gateway: the silence above was the NAT's.
            g.send(GuestFrames.udp(40000, GATEWAY, port, ascii("unicast")));
            HostPeer.Received r = listener.receive(Duration.ofSeconds(5));
            assertThat(r).isNotNull();
            assertThat(r.data()).isEqualTo(ascii("unicast"));
        }
    }

    @Test
    void restrictOnRefusesWithAdminProhibited() throws Exception {
        NetworkConfig net = NetworkConfig.builder().restrict(true).build();
        assertRefused(net, GATEWAY);
    }

    @Test
    void hostLoopbackOffRefusesTheGatewayWithAdminProhibited() throws Exception {
        NetworkConfig net = NetworkConfig.builder().hostLoopback(false).build();
        assertRefused(net, GATEWAY);
    }

    @Test
    void otherAddressesOfTheVirtualNetworkAreRefused() throws Exception {
        assertRefused(NetworkConfig.defaults(), Ipv4Address.parse("10.0.2.77"));
    }

    private void assertRefused(NetworkConfig net, int dst) throws Exception {
        NatService nat = new NatService(config().build());
        try (HostPeer listener = HostPeer.bind(); VirtualGuest g = guest(net, nat)) {
            g.send(GuestFrames.udp(40000, dst, listener.port(), ascii("let me out")));

            byte[] quote = expectUnreachable(g, GATEWAY_INET, IcmpV4Code.COMMUNICATION_PROHIBITED);
            assertQuotes(quote, dst, 40000, listener.port());
            assertThat(listener.receive(QUIET)).isNull();
            assertThat(counters(g).get(UdpCounter.REFUSED_DESTINATION)).isEqualTo(1);
            assertThat(counters(g).get(UdpCounter.FLOWS_OPENED)).isZero();
        }
    }

    @Test
    void portZeroIsDropped() throws Exception {
        NatService nat = new NatService(config().build());
        try (VirtualGuest g = guest(nat)) {
            g.send(GuestFrames.udp(0, GATEWAY, 9, ascii("x")));
            g.send(GuestFrames.udp(40000, GATEWAY, 0, ascii("x")));
            g.expectNothing(Duration.ofMillis(100));
            assertThat(counters(g).get(UdpCounter.DROPPED_PORT_ZERO)).isEqualTo(2);
        }
    }

    // ---------------------------------------------------------------- port forwards

    @Test
    void hostfwdPeersEachGetTheirOwnReplies() throws Exception {
        NatService nat = new NatService(config().addForward("udp::0-:5000").build());
        try (HostPeer a = HostPeer.bind(); HostPeer b = HostPeer.bind(); VirtualGuest g = guest(nat)) {
            learnGuest(g);
            List<InetSocketAddress> listening = forwardAddresses(nat);
            assertThat(listening).hasSize(1);
            InetSocketAddress fwd = new InetSocketAddress("127.0.0.1", listening.get(0).getPort());

            a.send(ascii("from a"), fwd);
            UdpPacket toGuest1 = expectUdp(g, GATEWAY_INET, 5000);
            b.send(ascii("from b"), fwd);
            UdpPacket toGuest2 = expectUdp(g, GATEWAY_INET, 5000);

            // The guest's scripted server answers each datagram to where it came from.
            Map<String, Integer> portOf = new HashMap<>();
            for (UdpPacket u : List.of(toGuest1, toGuest2)) {
                String text = new String(u.getPayload().getRawData(), US_ASCII);
                int gwPort = u.getHeader().getSrcPort().valueAsInt();
                portOf.put(text, gwPort);
                g.send(GuestFrames.udp(5000, GATEWAY, gwPort, ascii("reply to " + text)));
            }
            assertThat(portOf.keySet()).containsExactlyInAnyOrder("from a", "from b");
            assertThat(portOf.get("from a")).isEqualTo(a.port());
            assertThat(portOf.get("from b")).isEqualTo(b.port());

            HostPeer.Received ra = a.receive(Duration.ofSeconds(5));
            HostPeer.Received rb = b.receive(Duration.ofSeconds(5));
            assertThat(ra.data()).isEqualTo(ascii("reply to from a"));
            assertThat(rb.data()).isEqualTo(ascii("reply to from b"));
            assertThat(ra.sender().getPort()).isEqualTo(fwd.getPort());
            assertThat(rb.sender().getPort()).isEqualTo(fwd.getPort());
            assertThat(a.receive(QUIET)).isNull();
            assertThat(b.receive(Duration.ofMillis(50))).isNull();
            assertThat(counters(g).get(UdpCounter.FORWARD_MAPPINGS_OPENED)).isEqualTo(2);
            assertThat(counters(g).get(UdpCounter.DATAGRAMS_COPIED_TO_GUEST)).as("zero copy from a listener").isZero();
            assertThat(onLoop(g, nat.udp()::mappingCount)).isEqualTo(2);
            assertThat(counters(g).get(UdpCounter.FLOWS_OPENED)).isZero();
        }
    }

    @Test
    void hostfwdWorksUnderRestrict() throws Exception {
        NatService nat = new NatService(config().addForward("udp:127.0.0.1:0-:5000").build());
        try (HostPeer peer = HostPeer.bind();
             VirtualGuest g = guest(NetworkConfig.builder().restrict(true).build(), nat)) {
            learnGuest(g);
            InetSocketAddress fwd = forwardAddresses(nat).get(0);
            peer.send(ascii("in"), fwd);
            int gwPort = expectUdp(g, GATEWAY_INET, 5000).getHeader().getSrcPort().valueAsInt();
            g.send(GuestFrames.udp(5000, GATEWAY, gwPort, ascii("out")));
            HostPeer.Received r = peer.receive(Duration.ofSeconds(5));
            assertThat(r).isNotNull();
            assertThat(r.data()).isEqualTo(ascii("out"));
            assertThat(counters(g).get(UdpCounter.REFUSED_DESTINATION)).isZero();
        }
    }

    @Test
    void hostfwdMappingExpiresWhenIdle() throws Exception {
        NatService nat = new NatService(config().addForward("udp:127.0.0.1:0-:5000")
                .udpIdleTimeout(Duration.ofMillis(300)).build());
        try (HostPeer peer = HostPeer.bind(); VirtualGuest g = guest(nat)) {
            learnGuest(g);
            peer.send(ascii("hi"), forwardAddresses(nat).get(0));
            expectUdp(g, GATEWAY_INET, 5000);
            Await.until("the mapping to expire", () -> counters(g).get(UdpCounter.FORWARD_MAPPINGS_IDLE_CLOSED) == 1);
            assertThat(onLoop(g, nat.udp()::mappingCount)).isZero();
        }
    }

    @Test
    void hostfwdAddedAndRemovedAtRunTime() throws Exception {
        NatService nat = new NatService(config().build());
        try (HostPeer peer = HostPeer.bind(); VirtualGuest g = guest(nat)) {
            learnGuest(g);
            assertThat(forwardAddresses(nat)).isEmpty();
            InetSocketAddress fwd = nat.addForward(HostForward.parse("udp:127.0.0.1:0-:6000")).get(5, TimeUnit.SECONDS);
            assertThat(fwd.getPort()).isPositive();
            assertThat(forwardAddresses(nat)).containsExactly(fwd);

            peer.send(ascii("knock"), fwd);
            assertThat(expectUdp(g, GATEWAY_INET, 6000).getPayload().getRawData()).isEqualTo(ascii("knock"));

            dev.jslirp.core.wire.IpAddress loopback = dev.jslirp.core.wire.IpAddress.parse("127.0.0.1");
            assertThat(nat.removeForward(HostForward.Protocol.UDP, loopback, fwd.getPort()).get(5, TimeUnit.SECONDS)).isTrue();
            assertThat(forwardAddresses(nat)).isEmpty();
            assertThat(onLoop(g, nat.udp()::mappingCount)).isZero();
            peer.send(ascii("knock again"), fwd);
            g.expectNothing(QUIET);
            assertThat(nat.removeForward(HostForward.Protocol.UDP, loopback, fwd.getPort()).get(5, TimeUnit.SECONDS)).isFalse();
            // The port is free again.
            try (java.net.DatagramSocket s = new java.net.DatagramSocket(fwd)) {
                assertThat(s.getLocalPort()).isEqualTo(fwd.getPort());
            }
        }
    }

    @Test
    void hostfwdOnABusyPortFailsNamingHostfwdAndTheAddress() throws Exception {
        NatService nat = new NatService(config().build());
        try (HostPeer busy = HostPeer.bind(); VirtualGuest g = guest(nat)) {
            String spec = "udp:127.0.0.1:" + busy.port() + "-:6000";
            assertThatThrownBy(() -> nat.addForward(HostForward.parse(spec)).get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("hostfwd")
                    .hasMessageContaining("127.0.0.1:" + busy.port());
            assertThat(forwardAddresses(nat)).isEmpty();
        }
    }

    @Test
    void hostfwdToAnAddressOutsideTheNetworkIsRefused() throws Exception {
        NatService nat = new NatService(config().build());
        try (VirtualGuest g = guest(nat)) {
            assertThatThrownBy(() -> nat.addForward(HostForward.parse("udp:127.0.0.1:0-10.0.3.5:6000"))
                    .get(5, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("hostfwd")
                    .hasMessageContaining("10.0.3.5");
            assertThat(forwardAddresses(nat)).isEmpty();
        }
    }

    @Test
    void hostfwdOnABusyPortFailsTheStart() throws Exception {
        try (HostPeer busy = HostPeer.bind()) {
            NatService nat = new NatService(config()
                    .addForward("udp:127.0.0.1:0-:5000")
                    .addForward("udp:127.0.0.1:" + busy.port() + "-:6000").build());
            assertThatThrownBy(() -> guest(NetworkConfig.defaults(), nat))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("hostfwd")
                    .hasMessageContaining("127.0.0.1:" + busy.port());
            assertThat(forwardAddresses(nat)).as("the first forward was closed again").isEmpty();
        }
    }

    @Test
    void guestDetachEndsFlowsButForwardsKeepListening() throws Exception {
        NatService nat = new NatService(config().addForward("udp:127.0.0.1:0-:5000").build());
        try (HostPeer echo = HostPeer.echo(); HostPeer peer = HostPeer.bind(); VirtualGuest g = guest(nat)) {
            roundTrip(g, 40000, echo, "out");
            InetSocketAddress fwd = forwardAddresses(nat).get(0);
            peer.send(ascii("in"), fwd);
            expectUdp(g, GATEWAY_INET, 5000);

            g.network().detach();
            assertThat(onLoop(g, nat.udp()::flowCount)).isZero();
            assertThat(onLoop(g, nat.udp()::mappingCount)).isZero();
            assertThat(counters(g).get(UdpCounter.FLOWS_CLOSED_ADMIN)).isEqualTo(2);
            peer.send(ascii("anyone?"), fwd);
            Await.until("the datagram for a detached guest to be dropped",
                    () -> counters(g).get(UdpCounter.DROPPED_GUEST_DETACHED) == 1);

            g.network().attach(g.sink());
            peer.send(ascii("welcome back"), fwd);
            assertThat(expectUdp(g, GATEWAY_INET, 5000).getPayload().getRawData()).isEqualTo(ascii("welcome back"));
        }
    }
}
