package dev.jslirp.nat.icmp;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.fuzz.FrameScript;
import dev.jslirp.core.testkit.fuzz.FuzzNetwork;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.linux.IcmpSockets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the ICMP echo NAT ({@link IcmpNat}) with the guest's echo requests of both
 * families (any identifiers, sequence numbers, payloads, hop limits, destinations and
 * rates) against a scripted host: the NAT's sockets are embedded channels
 * ({@link IcmpNat}'s {@code SocketOpener} seam), so no real socket opens, and step 5 of
 * the script ({@link FrameScript}) makes the host answer. One method per kind of socket:
 * ping sockets (one per session; replies are the ICMP message alone, errors come through
 * the error queue, here a failed read) and a raw socket (shared; IPv4 messages come with
 * their IP header, errors quote the request and go through {@link RawTransport}'s parser).
 *
 * <p>Actions (step 5), low 3 bits: 0 an echo reply to the last request the host saw; 1
 * an ICMP error about it (raw: destination unreachable or time exceeded with a code from
 * the high bits; ping: a failed read); 2 the bytes of the script's last frame from its IP
 * header on, as a message from the host (anything, to the parser); 3 a socket closes by
 * itself; 4 the guest's link fills or drains; 5 a socket's write buffer fills or drains;
 * 6 an echo reply from another sender (loopback, the network's own addresses, others);
 * 7 an echo reply cut short. The high 5 bits choose the socket (counted from the newest)
 * or the variant.
 *
 * <p>Beyond {@link FuzzNetwork}'s invariants: sessions within {@code maxIcmpSessions};
 * requests reach the host no faster than {@code icmpEchoRate} allows; each is an echo
 * request of code 0 (for the raw IPv4 socket, with a valid checksum, as the NAT computes
 * it); and no host socket is left open once the network closed.
 */
class IcmpEchoFuzzTest {
    private static final int MAX_SESSIONS = 4;
    private static final int RATE = 5;
    private static final IpAddress OUTSIDE6 = IpAddress.parse("2001:db8::7");
    private static final int OUTSIDE = Ipv4Address.parse("192.0.2.7");

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10m")
    void echoThroughPingSockets(byte[] script) {
        run(script, IcmpSockets.Kind.PING);
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10m")
    void echoThroughARawSocket(byte[] script) {
        run(script, IcmpSockets.Kind.RAW);
    }

    private static void run(byte[] script, IcmpSockets.Kind kind) {
        NatConfig config = NatConfig.builder().maxIcmpSessions(MAX_SESSIONS).icmpEchoRate(RATE)
                .icmpIdleTimeout(Duration.ofSeconds(10)).build();
        ScriptedHost host = new ScriptedHost(kind);
        IcmpNat nat = new IcmpNat(config, kind, host);
        IcmpOnlyService service = new IcmpOnlyService(nat);
        FuzzNetwork net = FuzzNetwork.of(NetworkConfig.defaults(), service);
        host.net = net;
        net.rewriting(f -> host.lastFrame = ByteBufUtil.getBytes(f, f.readerIndex() + Math.min(14, f.readableBytes()),
                        Math.max(0, f.readableBytes() - 14)))
                .onAction(host::act)
                .afterEachStep(host::take)
                .check("sessions within the bound", () -> nat.sessionCount() <= MAX_SESSIONS
                        ? null : nat.sessionCount() + " sessions")
                .check("requests within the rate", () -> {
                    long elapsed = service.ctx.nanoTime() - service.started;
                    long allowed = RATE + RATE * elapsed / 1_000_000_000L + 1;
                    return host.requests <= allowed ? null
                            : host.requests + " requests to the host in " + elapsed / 1_000_000 + " ms";
                })
                .check("requests are echo requests", () -> host.badRequest)
                .run(script);
        for (EmbeddedChannel ch : host.channels) {
            if (ch.isOpen()) {
                throw new AssertionError("a host socket is left open after the network closed");
            }
            ch.finishAndReleaseAll();
        }
    }

    /** The host side: embedded channels for sockets, and what the script makes them receive. */
    private static final class ScriptedHost implements IcmpNat.SocketOpener {
        private static final InetSocketAddress LOCAL = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        private final IcmpSockets.Kind kind;
        final List<EmbeddedChannel> channels = new ArrayList<>();
        private final List<Boolean> families = new ArrayList<>();
        FuzzNetwork net;
        byte[] lastFrame = new byte[0];
        /** The last request the host saw: its ICMP message, where it went, on which socket. */
        private byte[] lastRequest;
        private InetSocketAddress lastTarget;
        private EmbeddedChannel lastChannel;
        private boolean lastV6;
        long requests;
        String badRequest;
        private boolean guestWritable = true;

        ScriptedHost(IcmpSockets.Kind kind) {
            this.kind = kind;
        }

        @Override
        public Channel open(EchoTransport transport, IcmpSockets.Kind k, ChannelHandler handler) {
            if (k != kind) {
                throw new AssertionError("asked for a " + k + " socket");
            }
            EmbeddedChannel ch = new EmbeddedChannel(handler);
            channels.add(ch);
            families.add(transport.ipv6);
            return ch;
        }

        /** Takes (and releases) what the NAT sent on each socket. */
        void take() {
            for (int i = 0; i < channels.size(); i++) {
                EmbeddedChannel ch = channels.get(i);
                for (Object m = ch.readOutbound(); m != null; m = ch.readOutbound()) {
                    try {
                        if (m instanceof DatagramPacket p) {
                            request(ch, families.get(i), p);
                        } else {
                            badRequest = "a " + m.getClass().getSimpleName() + " written to a socket";
                        }
                    } finally {
                        ReferenceCountUtil.release(m);
                    }
                }
            }
        }

        private void request(EmbeddedChannel ch, boolean v6, DatagramPacket p) {
            requests++;
            byte[] m = ByteBufUtil.getBytes(p.content());
            int request = v6 ? IcmpNat.TYPE6_ECHO_REQUEST : 8;
            if (m.length < 8 || (m[0] & 0xff) != request || m[1] != 0) {
                badRequest = "not an echo request of code 0: " + ByteBufUtil.hexDump(m);
            } else if (kind == IcmpSockets.Kind.RAW && !v6
                    && dev.jslirp.core.wire.Checksums.checksum(p.content(), p.content().readerIndex(), m.length) != 0) {
                badRequest = "an IPv4 echo request with a bad checksum: " + ByteBufUtil.hexDump(m);
            }
            lastRequest = m;
            lastTarget = p.recipient();
            lastChannel = ch;
            lastV6 = v6;
        }

        void act(int arg) {
            int what = arg & 7;
            int high = arg >>> 3;
            switch (what) {
                case 0 -> reply(lastRequest, sender(lastTarget), lastRequest == null ? 0 : lastRequest.length);
                case 1 -> error(high);
                case 2 -> deliver(pick(high), bytes(lastFrame), new InetSocketAddress(OUTSIDE_ADDRESS, 0));
                case 3 -> {
                    EmbeddedChannel ch = pick(high);
                    if (ch != null) {
                        ch.close();
                    }
                }
                case 4 -> {
                    guestWritable = !guestWritable;
                    net.guest().sink().setWritable(guestWritable);
                    net.network().guestWritabilityChanged(net.network().port(), guestWritable);
                }
                case 5 -> {
                    EmbeddedChannel ch = pick(high);
                    ChannelOutboundBuffer out = ch == null ? null : ch.unsafe().outboundBuffer();
                    if (out != null) {
                        out.setUserDefinedWritability(1, !out.getUserDefinedWritability(1));
                    }
                }
                case 6 -> reply(lastRequest, OTHER_SENDERS[high % OTHER_SENDERS.length],
                        lastRequest == null ? 0 : lastRequest.length);
                default -> reply(lastRequest, sender(lastTarget), high);
            }
        }

        private EmbeddedChannel pick(int high) {
            return channels.isEmpty() ? null : channels.get(channels.size() - 1 - high % channels.size());
        }

        private static InetSocketAddress sender(InetSocketAddress target) {
            return target == null ? null : new InetSocketAddress(target.getAddress(), 0);
        }

        /** An echo reply to {@code request} (its identifier, sequence and data), cut to {@code length} bytes. */
        private void reply(byte[] request, InetSocketAddress from, int length) {
            if (request == null || lastChannel == null) {
                return;
            }
            byte[] icmp = java.util.Arrays.copyOf(request, Math.min(length, request.length));
            if (icmp.length > 0) {
                icmp[0] = (byte) (lastV6 ? IcmpNat.TYPE6_ECHO_REPLY : 0);
            }
            deliver(lastChannel, withHeader(icmp, from.getAddress(), lastV6), from);
        }

        /** An ICMP error quoting the last request (raw socket), or a failed read (ping socket's error queue). */
        private void error(int high) {
            if (lastRequest == null || lastChannel == null || !lastChannel.isOpen()) {
                return;
            }
            if (kind == IcmpSockets.Kind.PING) {
                lastChannel.pipeline().fireExceptionCaught(new IOException("scripted: the error queue has entries"));
                return;
            }
            boolean exceeded = (high & 1) != 0;
            int code = high >>> 1;
            int type = lastV6 ? (exceeded ? 3 : 1) : (exceeded ? 11 : 3);
            byte[] quotedIp = lastV6 ? ipv6Header(lastRequest.length, lastTarget.getAddress())
                    : ipv4Header(lastRequest.length, lastTarget.getAddress());
            byte[] icmp = new byte[8 + quotedIp.length + lastRequest.length];
            icmp[0] = (byte) type;
            icmp[1] = (byte) code;
            System.arraycopy(quotedIp, 0, icmp, 8, quotedIp.length);
            System.arraycopy(lastRequest, 0, icmp, 8 + quotedIp.length, lastRequest.length);
            InetSocketAddress router = new InetSocketAddress(lastV6 ? ROUTER6 : ROUTER4, 0);
            deliver(lastChannel, withHeader(icmp, router.getAddress(), lastV6), router);
        }

        /** A raw IPv4 socket reads the IP header with the message; the others the message alone. */
        private ByteBuf withHeader(byte[] icmp, InetAddress from, boolean v6) {
            ByteBuf b = net.alloc().heapBuffer(icmp.length + 20);
            if (kind == IcmpSockets.Kind.RAW && !v6) {
                byte[] h = ipv4Header(icmp.length, null);
                if (from instanceof java.net.Inet4Address) {
                    System.arraycopy(from.getAddress(), 0, h, 12, 4);
                }
                b.writeBytes(h);
            }
            return b.writeBytes(icmp);
        }

        private ByteBuf bytes(byte[] data) {
            return net.alloc().heapBuffer(Math.max(1, data.length)).writeBytes(data);
        }

        /** {@code content} arrives on {@code ch} from {@code from}; released here if it cannot. */
        private void deliver(EmbeddedChannel ch, ByteBuf content, InetSocketAddress from) {
            if (ch == null || !ch.isOpen() || from == null) {
                content.release();
                return;
            }
            ch.writeInbound(new DatagramPacket(content, LOCAL, from));
            // Whatever the handler passed on instead of taking is released (and is no bug: the
            // pipeline's end is where a real socket's unhandled messages go too).
            ch.releaseInbound();
        }

        private static byte[] ipv4Header(int payload, InetAddress dst) {
            byte[] h = new byte[20];
            h[0] = 0x45;
            h[2] = (byte) ((payload + 20) >>> 8);
            h[3] = (byte) (payload + 20);
            h[8] = 64;
            h[9] = 1;
            h[12] = 10;
            h[15] = 15;
            if (dst instanceof java.net.Inet4Address) {
                System.arraycopy(dst.getAddress(), 0, h, 16, 4);
            }
            return h;
        }

        private static byte[] ipv6Header(int payload, InetAddress dst) {
            byte[] h = new byte[40];
            h[0] = 0x60;
            h[4] = (byte) (payload >>> 8);
            h[5] = (byte) payload;
            h[6] = 58;
            h[7] = 64;
            if (dst instanceof java.net.Inet6Address) {
                System.arraycopy(dst.getAddress(), 0, h, 24, 16);
            }
            return h;
        }
    }

    private static final InetAddress OUTSIDE_ADDRESS = address("192.0.2.7");
    private static final InetAddress ROUTER4 = address("192.0.2.1");
    private static final InetAddress ROUTER6 = address("2001:db8::1");
    /** Senders a reply may come from: loopback, the network's own addresses, outside hosts of both families. */
    private static final InetSocketAddress[] OTHER_SENDERS = Stream.of("127.0.0.1", "::1", "10.0.2.2", "10.0.2.3",
            "10.0.2.15", "fec0::2", "fec0::3", "192.0.2.1", "2001:db8::1", "0.0.0.0", "::", "::ffff:192.0.2.9")
            .map(a -> new InetSocketAddress(address(a), 0)).toArray(InetSocketAddress[]::new);

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);     // literals only: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    static Stream<Arguments> seeds() {
        byte[] data = "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ".getBytes();
        FrameScript.Builder flood = FrameScript.builder();
        for (int i = 0; i < 12; i++) {
            flood.frame(GuestFrames.echoRequest(OUTSIDE, 7, i, data));
        }
        flood.advance(10).frame(GuestFrames.echoRequest(OUTSIDE, 7, 12, data)).action(0);
        FrameScript.Builder manyIds = FrameScript.builder();
        for (int id = 1; id <= 6; id++) {
            manyIds.frame(GuestFrames.echoRequest(OUTSIDE, id, 1, data)).advance(3);
        }
        manyIds.action(0).action(3).advance(120);
        return Stream.of(
                seed("ping and its reply", FrameScript.builder().frame(GuestFrames.echoRequest(OUTSIDE, 0x1234, 1, data))
                        .action(0)),
                seed("ping6 and its reply", FrameScript.builder()
                        .frame(GuestFrames6.echoRequest(OUTSIDE6, 0x4321, 1, data)).action(0)),
                seed("ping with ttl 1, time exceeded", FrameScript.builder()
                        .frame(withTtl(GuestFrames.echoRequest(OUTSIDE, 9, 1, data), 1)).action(1 | (1 << 3))),
                seed("ping6, destination unreachable", FrameScript.builder()
                        .frame(GuestFrames6.echoRequest(OUTSIDE6, 9, 2, data)).action(1 | (3 << 4))),
                seed("ping to the host's loopback, refused", FrameScript.builder()
                        .frame(GuestFrames.echoRequest(Ipv4Address.parse("127.0.0.1"), 1, 1, data))),
                seed("ping to the gateway, the core's", FrameScript.builder()
                        .frame(GuestFrames.echoRequest(GATEWAY, 1, 1, data))),
                seed("a flood, rate limited", flood),
                seed("more identifiers than sessions, idle", manyIds),
                seed("reply from the network's own address and loopback", FrameScript.builder()
                        .frame(GuestFrames.echoRequest(OUTSIDE, 5, 1, data)).action(6 | (2 << 3)).action(6)),
                seed("a reply cut short, anything from the host", FrameScript.builder()
                        .frame(GuestFrames.echoRequest(OUTSIDE, 5, 1, data)).action(7 | (5 << 3)).action(2)),
                seed("guest link full, socket full, socket closes", FrameScript.builder()
                        .frame(GuestFrames6.echoRequest(OUTSIDE6, 5, 1, data)).action(4).action(0).action(4)
                        .action(5).frame(GuestFrames6.echoRequest(OUTSIDE6, 5, 2, data)).action(3)
                        .frame(GuestFrames6.echoRequest(OUTSIDE6, 5, 3, data)).action(0)),
                seed("large ping", FrameScript.builder()
                        .frame(GuestFrames.echoRequest(OUTSIDE, 3, 1, new byte[1400])).action(0)));
    }

    private static ByteBuf withTtl(ByteBuf frame, int ttl) {
        frame.setByte(14 + 8, ttl);
        return frame;
    }

    private static Arguments seed(String name, FrameScript.Builder script) {
        return Arguments.of(Named.of(name, script.build()));
    }
}
