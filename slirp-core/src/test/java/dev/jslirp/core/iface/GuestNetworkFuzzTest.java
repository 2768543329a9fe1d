package dev.jslirp.core.iface;

import static dev.jslirp.core.testkit.GuestFrames.DNS;
import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static dev.jslirp.core.testkit.GuestFrames6.ALL_ROUTERS;
import static dev.jslirp.core.testkit.GuestFrames6.GUEST6;
import static dev.jslirp.core.testkit.GuestFrames6.GUEST6_LL;
import static dev.jslirp.core.testkit.GuestFrames6.HOST6;
import static dev.jslirp.core.testkit.GuestFrames6.ROUTER_LL;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.spi.IcmpError;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.fuzz.FrameScript;
import dev.jslirp.core.testkit.fuzz.FuzzNetwork;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the core's receive path with whatever a guest can send: Ethernet, ARP, IPv4
 * with options, IPv6 with extension headers, neighbour discovery, ICMP and ICMPv6,
 * the UDP and TCP headers and TCP options, and reassembly of both families from any
 * sequence of fragments with time passing ({@link FrameScript}). A service answers
 * every packet offered to it (UDP echoed back, so large answers are fragmented; TCP and
 * other protocols get an ICMP error quoting them), so the send path sees guest-made
 * addresses and quotes too. {@link FuzzNetwork} checks the invariants after each step.
 *
 * <p>The seeds below, the frames in {@code GuestNetworkFuzzTestInputs/} (real frames of
 * the captures, and every finding) run as regression tests in each build;
 * {@code benchmarks/fuzz/run-fuzz.sh} fuzzes.
 */
class GuestNetworkFuzzTest {
    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10m")
    void framesFromTheGuest(byte[] script) {
        FuzzNetwork.of(NetworkConfig.defaults(), new AnswersEverything()).run(script);
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10m")
    void framesFromTheGuestOnASmallLink(byte[] script) {
        // The smallest MTU IPv6 allows, a reassembly bound a few fragments fill: the
        // limits are reached within a short script.
        NetworkConfig small = NetworkConfig.builder().mtu(1280).reassemblyLimits(8192, 4, java.time.Duration.ofSeconds(5)).build();
        FuzzNetwork.of(small, new AnswersEverything()).run(script);
    }

    /** Answers what it is offered, through every sending path of the context. */
    static final class AnswersEverything implements GuestService {
        private GuestContext ctx;

        @Override
        public void start(GuestContext context) {
            this.ctx = context;
        }

        @Override
        public boolean handle(GuestPacket p) {
            if (p.protocol() == GuestPacket.PROTO_UDP) {
                int len = p.udp().length();
                ByteBuf f = ctx.newFrame(len);
                f.writeBytes(p.buffer(), p.transportOffset(), len);
                // swap the ports; the core writes the checksum
                int ports = f.getInt(f.writerIndex() - len);
                f.setInt(f.writerIndex() - len, (ports << 16) | (ports >>> 16));
                ctx.send(f, p.destination(), p.source(), GuestPacket.PROTO_UDP, 0);
            } else {
                ctx.sendIcmpError(p, p.destination(),
                        p.protocol() == GuestPacket.PROTO_TCP ? IcmpError.PORT_UNREACHABLE : IcmpError.HOST_UNREACHABLE);
            }
            return true;
        }
    }

    static Stream<Arguments> seeds() {
        int outside = Ipv4Address.parse("192.0.2.7");
        List<ByteBuf> frags = GuestFrames.fragment(GuestFrames.echoRequest(GATEWAY, 7, 1, new byte[3000]), 1480);
        FrameScript.Builder fragmented = FrameScript.builder();
        frags.forEach(fragmented::frame);
        List<ByteBuf> rev = GuestFrames.fragment(GuestFrames.udp(1000, DNS, 9, new byte[2000]), 512);
        FrameScript.Builder reversed = FrameScript.builder();
        for (int i = rev.size() - 1; i >= 0; i--) {
            reversed.frame(rev.get(i));
        }
        FrameScript.Builder expired = FrameScript.builder().frame(
                GuestFrames.fragment(GuestFrames.udp(1000, DNS, 9, new byte[2000]), 512).get(0)).advance(200)
                .advance(200);
        List<ByteBuf> frags6 = GuestFrames6.fragment(GuestFrames6.echoRequest(HOST6, 3, 4, new byte[3000]), 1232, 99);
        FrameScript.Builder fragmented6 = FrameScript.builder();
        frags6.forEach(fragmented6::frame);
        // hop-by-hop options (PadN) then a destination options header, then UDP
        byte[] ext = {60, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0};
        ByteBuf udp6 = GuestFrames6.udp(1000, HOST6, 7, "x".getBytes());
        byte[] udpBytes = new byte[udp6.readableBytes() - 54];
        udp6.getBytes(54, udpBytes);
        udp6.release();
        return Stream.of(
                seed("arp request for the gateway", FrameScript.builder().frame(GuestFrames.arpRequest(GATEWAY))),
                seed("arp request for another guest", FrameScript.builder()
                        .frame(GuestFrames.arpRequest(Ipv4Address.parse("10.0.2.99")))),
                seed("echo request to the gateway", FrameScript.builder()
                        .frame(GuestFrames.echoRequest(GATEWAY, 1, 1, new byte[56]))),
                seed("echo request with a bad checksum", FrameScript.builder()
                        .rawFrame(corrupt(GuestFrames.echoRequest(GATEWAY, 1, 1, new byte[56]), 40))),
                seed("udp to the dns address", FrameScript.builder()
                        .frame(GuestFrames.udp(1000, DNS, 53, new byte[40]))),
                seed("udp of 4000 bytes answered in fragments", FrameScript.builder()
                        .frame(GuestFrames.udp(1000, GATEWAY, 7, new byte[4000]))),
                seed("tcp syn with every option", FrameScript.builder().frame(GuestFrames.tcp(GATEWAY,
                        t -> t.flags(TcpPacket.SYN).mss(1460).windowScale(7).sackPermitted().timestamp(1, 0)))),
                seed("tcp data", FrameScript.builder().frame(GuestFrames.tcp(GATEWAY,
                        t -> t.ack(5).seq(9).data(new byte[100])))),
                seed("tcp to the world with ttl 1", FrameScript.builder().frame(withTtl(GuestFrames.tcp(outside,
                        t -> t.flags(TcpPacket.SYN).mss(1460)), 1))),
                seed("fragmented echo request", fragmented),
                seed("fragments in reverse order", reversed),
                seed("a fragment left to expire", expired),
                seed("ipv6 neighbour solicitation for the router", FrameScript.builder()
                        .frame(GuestFrames6.neighborSolicitation(GUEST6_LL, ROUTER_LL))),
                seed("ipv6 router solicitation", FrameScript.builder().frame(GuestFrames6.routerSolicitation())),
                seed("ipv6 neighbour advertisement", FrameScript.builder()
                        .frame(GuestFrames6.neighborAdvertisement(GUEST6, ALL_ROUTERS, 255))),
                seed("ipv6 echo request", FrameScript.builder()
                        .frame(GuestFrames6.echoRequest(HOST6, 1, 1, new byte[56]))),
                seed("ipv6 udp", FrameScript.builder().frame(GuestFrames6.udp(1000, HOST6, 7, new byte[100]))),
                seed("ipv6 tcp syn", FrameScript.builder().frame(GuestFrames6.tcp(HOST6,
                        t -> t.flags(TcpPacket.SYN).mss(1440).windowScale(7).sackPermitted().timestamp(1, 0)))),
                seed("ipv6 with extension headers", FrameScript.builder().frame(GuestFrames6.ipv6(GUEST6, HOST6, 0, 64,
                        ext, Unpooled.wrappedBuffer(udpBytes)))),
                seed("fragmented ipv6 echo request", fragmented6),
                seed("arp, echo, then tcp", FrameScript.builder().frame(GuestFrames.arpRequest(GATEWAY))
                        .frame(GuestFrames.echoRequest(GATEWAY, 1, 1, new byte[8])).advance(10)
                        .frame(GuestFrames.tcp(GATEWAY, t -> t.flags(TcpPacket.SYN)))));
    }

    private static Arguments seed(String name, FrameScript.Builder script) {
        return Arguments.of(Named.of(name, script.build()));
    }

    private static ByteBuf corrupt(ByteBuf frame, int at) {
        frame.setByte(at, frame.getByte(at) ^ 0x5a);
        return frame;
    }

    private static ByteBuf withTtl(ByteBuf frame, int ttl) {
        frame.setByte(14 + 8, ttl);
        return frame;
    }

}
