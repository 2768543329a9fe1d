package dev.jslirp.nat.tcp;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.fuzz.FrameScript;
import dev.jslirp.core.testkit.fuzz.FuzzNetwork;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.NatConfig;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the TCP NAT's flows with any sequence of guest segments (handshakes, data in
 * and out of order, window changes, FIN and RST at any point, options) against a
 * scripted host ({@link FakeHost}: connects accepted or refused, data, EOF, resets, a
 * host that stops reading) and a guest link that stops taking frames, with time passing
 * so retransmission, keepalive, idle and TIME_WAIT timers fire.
 *
 * <p>Acknowledgment numbers in the script's segments count from the network's initial
 * sequence number for that guest port (learned from its SYN-ACK): the network picks
 * ISNs at random, and an input must mean the same on every run to be replayed.
 *
 * <p>Step 5 (an action) drives the host side: the low 3 bits choose what (accept,
 * refuse, data, EOF, reset, stop reading, read again, guest link full/free), the high 5
 * bits which connection (counted from the newest) and how much data. Only events a
 * real socket can produce in the connection's state are delivered.
 *
 * <p>Beyond {@link FuzzNetwork}'s invariants: flows and half-open flows within their
 * configured bounds, the bytes the flows hold within a few buffers' worth each, and no
 * host socket left open once the network closed.
 */
class TcpFlowFuzzTest {
    private static final int PORT = 8080;
    private static final int MAX_FLOWS = 8;
    private static final int BUFFER = 16 << 10;

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10m")
    void segmentsAgainstAScriptedHost(byte[] script) {
        run(script);
    }

    @Test
    void scriptedAcksCountFromTheNetworksIsnSoASeedReachesTheHost() {
        byte[] hello = "hello, host".getBytes();
        FakeHost host = run(established().frame(seg(t -> t.seq(ISS + 1).ack(1).flags(TcpPacket.PSH).data(hello)))
                .build());
        assertThat(host.sockets).hasSize(1);
        assertThat(host.sockets.get(0).receivedBytes()).isEqualTo(hello);
    }

    @Test
    void theSeedFromTheRealGuestsCaptureCarriesItsLineToTheHost() throws java.io.IOException {
        byte[] script;
        try (java.io.InputStream in = getClass().getResourceAsStream(
                "TcpFlowFuzzTestInputs/segmentsAgainstAScriptedHost/guest-tcp")) {
            script = in.readAllBytes();
        }
        FakeHost host = run(script);
        assertThat(host.sockets).hasSize(1);
        assertThat(new String(host.sockets.get(0).receivedBytes(), java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("hello from the guest\n");
        assertThat(host.sockets.get(0).outputShut).as("the guest's FIN reached the host").isTrue();
    }

    /** Runs {@code script} and returns the host side, all its buffers released. */
    private static FakeHost run(byte[] script) {
        NatConfig config = NatConfig.builder().maxTcpFlows(MAX_FLOWS).maxHalfOpen(4).tcpBufferBytes(BUFFER)
                .tcpConnectTimeout(Duration.ofSeconds(5)).tcpIdleTimeout(Duration.ofSeconds(20))
                .tcpTimeWait(Duration.ofSeconds(2)).build();
        FakeHost host = new FakeHost();
        TcpNat nat = new TcpNat(config, host);
        FuzzNetwork net = FuzzNetwork.of(NetworkConfig.defaults(), new TcpOnlyService(nat));
        host.attach(net.guest());
        HostScript hostScript = new HostScript(host, net);
        Map<Integer, Integer> issByGuestPort = new HashMap<>();
        net.observing(f -> learnIss(f, issByGuestPort))
                .rewriting(f -> ackFromIss(f, issByGuestPort))
                .onAction(hostScript::act)
                .check("flows within the bound", () -> nat.flowCount() <= MAX_FLOWS
                        ? null : nat.flowCount() + " flows")
                .check("half-open flows within the bound", () -> nat.halfOpenCount() <= 4
                        ? null : nat.halfOpenCount() + " half-open")
                .check("flow buffers bounded", () -> nat.bufferedBytes() <= (long) nat.flowCount() * 4 * BUFFER
                        ? null : nat.bufferedBytes() + " bytes held by " + nat.flowCount() + " flows")
                .run(script);
        for (FakeHost.Socket s : host.sockets) {
            s.releaseAll();
            // No socket outlives its network: each was closed or aborted, unless its connect
            // failed (Netty closes a channel whose connect failed itself).
            if (!s.closed && !s.aborted && !hostScript.refused(s)) {
                throw new AssertionError("host socket to " + s.target + " left open after the network closed");
            }
        }
        return host;
    }

    /** The host side's events, only those a real socket can produce in its state. */
    private static final class HostScript {
        private enum State { CONNECTING, OPEN, EOF_SENT, DONE }

        private final FakeHost host;
        private final FuzzNetwork net;
        private final Map<FakeHost.Socket, State> states = new IdentityHashMap<>();
        private final java.util.Set<FakeHost.Socket> refusedSockets =
                java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        private boolean guestWritable = true;

        HostScript(FakeHost host, FuzzNetwork net) {
            this.host = host;
            this.net = net;
        }

        boolean refused(FakeHost.Socket s) {
            return refusedSockets.contains(s);
        }

        void act(int arg) {
            int what = arg & 7;
            if (what == 7) {
                guestWritable = !guestWritable;
                net.guest().sink().setWritable(guestWritable);
                net.network().guestWritabilityChanged(net.network().port(), guestWritable);
                return;
            }
            if (host.sockets.isEmpty()) {
                return;
            }
            int which = (arg >>> 3) % host.sockets.size();
            FakeHost.Socket s = host.sockets.get(host.sockets.size() - 1 - which);
            State st = s.closed || s.aborted ? State.DONE : states.getOrDefault(s, State.CONNECTING);
            switch (what) {
                case 0:
                    if (st == State.CONNECTING) {
                        states.put(s, State.OPEN);
                        s.accept();
                    }
                    break;
                case 1:
                    if (st == State.CONNECTING) {
                        states.put(s, State.DONE);
                        refusedSockets.add(s);
                        s.refuse();
                    }
                    break;
                case 2:
                    if (st == State.OPEN) {
                        s.send(new byte[((arg >>> 3) + 1) * 97]);
                    }
                    break;
                case 3:
                    if (st == State.OPEN) {
                        states.put(s, State.EOF_SENT);
                        s.eof();
                    }
                    break;
                case 4:
                    if (st == State.OPEN || st == State.EOF_SENT) {
                        states.put(s, State.DONE);
                        s.reset();
                    }
                    break;
                case 5:
                    if (st == State.OPEN || st == State.EOF_SENT) {
                        s.setDraining(false);
                    }
                    break;
                default:
                    if (st == State.OPEN || st == State.EOF_SENT) {
                        s.setDraining(true);
                    }
                    break;
            }
        }
    }

    /** Where the TCP header of an IPv4 frame without options starts, or -1 if it is not one. */
    private static int tcpOffset(ByteBuf f) {
        int at = f.readerIndex();
        if (f.readableBytes() < 14 + 20 + 20 || f.getUnsignedShort(at + 12) != 0x0800
                || f.getUnsignedByte(at + 14 + 9) != 6) {
            return -1;
        }
        int off = at + 14 + (f.getUnsignedByte(at + 14) & 0x0f) * 4;
        return off + 20 <= f.writerIndex() ? off : -1;
    }

    private static void learnIss(ByteBuf toGuest, Map<Integer, Integer> iss) {
        int tcp = tcpOffset(toGuest);
        if (tcp >= 0 && (toGuest.getUnsignedByte(tcp + 13) & TcpPacket.SYN) != 0) {
            iss.put(toGuest.getUnsignedShort(tcp + 2), toGuest.getInt(tcp + 4));
        }
    }

    private static void ackFromIss(ByteBuf fromGuest, Map<Integer, Integer> iss) {
        int tcp = tcpOffset(fromGuest);
        if (tcp >= 0) {
            Integer base = iss.get(fromGuest.getUnsignedShort(tcp));
            if (base != null) {
                fromGuest.setInt(tcp + 8, fromGuest.getInt(tcp + 8) + base);
            }
        }
    }

    // ------------------------------------------------------------------- seeds

    private static final int ACCEPT = 0;
    private static final int REFUSE = 1;
    private static final int HOST_DATA = 2;
    private static final int HOST_EOF = 3;
    private static final int HOST_RESET = 4;
    private static final int HOST_STOPS_READING = 5;
    private static final int GUEST_LINK_TOGGLE = 7;
    private static final int ISS = 1000;

    private static ByteBuf seg(Consumer<GuestFrames.Tcp> spec) {
        return GuestFrames.tcp(GATEWAY, t -> {
            t.from(40000).to(PORT).window(65535);
            spec.accept(t);
        });
    }

    private static ByteBuf syn() {
        return seg(t -> t.seq(ISS).flags(TcpPacket.SYN).mss(1460).windowScale(7).sackPermitted().timestamp(1, 0));
    }

    private static FrameScript.Builder established() {
        return FrameScript.builder().frame(syn()).action(ACCEPT).frame(seg(t -> t.seq(ISS + 1).ack(1)));
    }

    static Stream<Arguments> seeds() {
        byte[] hello = "hello, host".getBytes();
        return Stream.of(
                seed("syn, host accepts, ack", established()),
                seed("syn, host refuses", FrameScript.builder().frame(syn()).action(REFUSE)),
                seed("syn never answered by the host", FrameScript.builder().frame(syn()).advance(60)),
                seed("guest data and fin", established()
                        .frame(seg(t -> t.seq(ISS + 1).ack(1).flags(TcpPacket.PSH).data(hello)))
                        .frame(seg(t -> t.seq(ISS + 1 + hello.length).ack(1).flags(TcpPacket.FIN)))
                        .action(HOST_EOF).advance(30)),
                seed("host data, guest acks, host closes", established().action(HOST_DATA | (20 << 3))
                        .frame(seg(t -> t.seq(ISS + 1).ack(1 + 21 * 97))).action(HOST_EOF)
                        .frame(seg(t -> t.seq(ISS + 1).ack(2 + 21 * 97).flags(TcpPacket.FIN))).advance(30)),
                seed("host data never acked: retransmissions", established().action(HOST_DATA | (31 << 3))
                        .advance(10).advance(20).advance(40).advance(80)),
                seed("out of order guest data", established()
                        .frame(seg(t -> t.seq(ISS + 1 + 100).ack(1).data(new byte[100])))
                        .frame(seg(t -> t.seq(ISS + 1).ack(1).data(new byte[100])))),
                seed("guest zero window, then opens", established().action(HOST_DATA | (8 << 3))
                        .frame(seg(t -> t.seq(ISS + 1).ack(1).window(0))).advance(20)
                        .frame(seg(t -> t.seq(ISS + 1).ack(1 + 9 * 97).window(65535)))),
                seed("host stops reading, guest keeps sending", established().action(HOST_STOPS_READING)
                        .frame(seg(t -> t.seq(ISS + 1).ack(1).data(new byte[1400])))
                        .frame(seg(t -> t.seq(ISS + 1401).ack(1).data(new byte[1400])))),
                seed("guest rst", established().frame(seg(t -> t.seq(ISS + 1).flags(TcpPacket.RST)))),
                seed("host reset", established().action(HOST_RESET)),
                seed("guest link full while the host sends", established().action(GUEST_LINK_TOGGLE)
                        .action(HOST_DATA | (10 << 3)).advance(5).action(GUEST_LINK_TOGGLE)),
                seed("syn flood beyond the half-open bound", synFlood()),
                seed("idle flow times out", established().advance(256)));
    }

    private static FrameScript.Builder synFlood() {
        FrameScript.Builder b = FrameScript.builder();
        for (int i = 0; i < 12; i++) {
            int port = 41000 + i;
            b.frame(GuestFrames.tcp(GATEWAY, t -> t.from(port).to(PORT).seq(ISS).flags(TcpPacket.SYN)));
        }
        return b.action(ACCEPT).action(ACCEPT | (1 << 3));
    }

    private static Arguments seed(String name, FrameScript.Builder script) {
        return Arguments.of(Named.of(name, script.build()));
    }
}
