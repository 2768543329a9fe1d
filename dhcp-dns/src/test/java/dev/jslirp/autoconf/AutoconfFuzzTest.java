package dev.jslirp.autoconf;

import static dev.jslirp.core.testkit.GuestFrames6.ALL_ROUTERS;
import static dev.jslirp.core.testkit.GuestFrames6.GUEST6;
import static dev.jslirp.core.testkit.GuestFrames6.GUEST6_LL;
import static dev.jslirp.core.testkit.GuestFrames6.HOST6;
import static dev.jslirp.core.testkit.GuestFrames6.ROUTER_LL;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.fuzz.FrameScript;
import dev.jslirp.core.testkit.fuzz.FuzzNetwork;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.dhcp.DhcpConfig;
import io.netty.buffer.ByteBuf;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes IPv6 autoconfiguration on the core's IPv6 path: router solicitations and the
 * router advertisements they get ({@link RouterAdvertiser}), neighbour solicitations and
 * advertisements and ICMPv6 echo (the core's), and DHCPv6 messages from clients of every
 * type with any options ({@link Dhcpv6Server}), with time passing so the unasked
 * advertisements fall due. Both services run in both methods; the seeds differ.
 *
 * <p>Beyond {@link FuzzNetwork}'s invariants (every IPv6 frame to the guest with valid
 * lengths and checksums over the pseudo-header, within the MTU):
 * <ul>
 *   <li>router advertisements to the guest no more often than RFC 4861 allows: the first
 *       at once, then at most one per MIN_DELAY_BETWEEN_RAS (3 s, section 10), however many
 *       solicitations came;</li>
 *   <li>every DHCPv6 message to the guest is an Advertise or a Reply (RFC 8415 section 7.3)
 *       for a transaction a client started, its options laid end to end exactly to its end
 *       and a server identifier among them.</li>
 * </ul>
 */
class AutoconfFuzzTest {
    /** Everything the services can send: a search list and a boot file. */
    private static final DhcpConfig CONFIG = AutoconfMalformedInputTest.CONFIG;
    private static final long SECOND = 1_000_000_000L;

    @MethodSource("solicitations")
    @FuzzTest(maxDuration = "10m")
    void solicitationsFromTheGuest(byte[] script) {
        run(script);
    }

    @MethodSource("dhcpv6Messages")
    @FuzzTest(maxDuration = "10m")
    void dhcpv6MessagesFromClients(byte[] script) {
        run(script);
    }

    private static void run(byte[] script) {
        Observed seen = new Observed();
        FuzzNetwork net = FuzzNetwork.of(NetworkConfig.defaults(),
                new RouterAdvertiser(CONFIG, FixedRandom.smallest()), new Dhcpv6Server(CONFIG));
        long start = net.network().nanoTime();
        net.rewriting(seen::fromGuest)
                .observing(seen::toGuest)
                .check("router advertisements at most one per 3 s", () -> {
                    long elapsed = net.network().nanoTime() - start;
                    long allowed = 1 + elapsed / (RouterAdvertiser.MIN_DELAY_BETWEEN_RAS_SECONDS * SECOND);
                    return seen.advertisements <= allowed ? null
                            : seen.advertisements + " advertisements in " + elapsed / 1_000_000 + " ms";
                })
                .check("DHCPv6 replies well-formed", () -> seen.badReply)
                .run(script);
    }

    /** What went to and fro, from the frames (the IPv6 header without extension headers, as both sides send). */
    private static final class Observed {
        final Set<Integer> transactions = new HashSet<>();
        int advertisements;
        String badReply;

        void fromGuest(ByteBuf f) {
            int ip = f.readerIndex() + 14;
            if (f.readableBytes() >= 14 + 40 + 8 + 4 && f.getUnsignedShort(f.readerIndex() + 12) == 0x86dd
                    && f.getUnsignedByte(ip + 6) == 17 && f.getUnsignedShort(ip + 40 + 2) == Dhcpv6Server.SERVER_PORT) {
                transactions.add(f.getInt(ip + 48) & 0xffffff);
            }
        }

        void toGuest(ByteBuf f) {
            int ip = f.readerIndex() + 14;
            if (f.getUnsignedShort(f.readerIndex() + 12) != 0x86dd) {
                return;
            }
            int next = f.getUnsignedByte(ip + 6);
            if (next == 58 && f.getUnsignedByte(ip + 40) == 134) {
                advertisements++;
            } else if (next == 17 && f.getUnsignedShort(ip + 40) == Dhcpv6Server.SERVER_PORT) {
                String bad = dhcpv6Problem(f, ip + 48, f.writerIndex());
                if (bad != null && badReply == null) {
                    badReply = bad + ": " + io.netty.buffer.ByteBufUtil.hexDump(f);
                }
            }
        }

        private String dhcpv6Problem(ByteBuf f, int off, int end) {
            if (end - off < 4) {
                return "a DHCPv6 message of " + (end - off) + " bytes";
            }
            int type = f.getUnsignedByte(off);
            if (type != 2 && type != 7) {
                return "message type " + type;
            }
            if (!transactions.contains(f.getInt(off) & 0xffffff)) {
                return "a transaction no client started";
            }
            boolean serverId = false;
            int i = off + 4;
            while (i + 4 <= end) {
                serverId |= f.getUnsignedShort(i) == 2;
                i += 4 + f.getUnsignedShort(i + 2);
            }
            if (i != end) {
                return "options end " + (i - end) + " bytes off the message's end";
            }
            return serverId ? null : "no server identifier";
        }
    }

    static Stream<Arguments> solicitations() {
        FrameScript.Builder flood = FrameScript.builder();
        for (int i = 0; i < 20; i++) {
            flood.frame(GuestFrames6.routerSolicitation());
        }
        flood.advance(30).frame(GuestFrames6.routerSolicitation()).advance(60);
        return Stream.of(
                seed("router solicitation", FrameScript.builder().frame(GuestFrames6.routerSolicitation())),
                seed("solicitations flood, time passes", flood),
                seed("unasked advertisements fall due", FrameScript.builder().advance(200).advance(200)),
                seed("neighbour solicitation for the router", FrameScript.builder()
                        .frame(GuestFrames6.neighborSolicitation(GUEST6_LL, ROUTER_LL))),
                seed("duplicate address detection from ::", FrameScript.builder()
                        .frame(GuestFrames6.neighborSolicitation(IpAddress.parse("::"), GUEST6))),
                seed("neighbour advertisement", FrameScript.builder()
                        .frame(GuestFrames6.neighborAdvertisement(GUEST6, ALL_ROUTERS, 255))),
                seed("echo to the router's link-local and global addresses", FrameScript.builder()
                        .frame(GuestFrames6.echoRequest(GUEST6_LL, ROUTER_LL, 1, 1, new byte[32]))
                        .frame(GuestFrames6.echoRequest(HOST6, 1, 2, new byte[1200]))),
                seed("solicitation with hop limit 64 (not from the link)", FrameScript.builder()
                        .frame(withHopLimit(GuestFrames6.routerSolicitation(), 64))));
    }

    static Stream<Arguments> dhcpv6Messages() {
        byte[] iaNa = new byte[12];
        iaNa[3] = 1;
        return Stream.of(
                seed("information-request", FrameScript.builder()
                        .frame(Dhcpv6Frames.informationRequest(0x123456).clientId().oro(23, 24, 59).frame())),
                seed("solicit with rapid commit", FrameScript.builder()
                        .frame(new Dhcpv6Frames.Message(1, 7).clientId().option(3, iaNa).option(14, new byte[0])
                                .oro(23, 24).frame())),
                seed("solicit then request", FrameScript.builder()
                        .frame(new Dhcpv6Frames.Message(1, 8).clientId().option(3, iaNa).frame())
                        .frame(new Dhcpv6Frames.Message(3, 9).clientId().option(3, iaNa).option(2, new byte[10])
                                .frame())),
                seed("renew, rebind, confirm, release, decline", FrameScript.builder()
                        .frame(new Dhcpv6Frames.Message(5, 10).clientId().option(3, iaNa).frame())
                        .frame(new Dhcpv6Frames.Message(6, 11).clientId().option(3, iaNa).frame())
                        .frame(new Dhcpv6Frames.Message(4, 12).clientId().option(3, iaNa).frame())
                        .frame(new Dhcpv6Frames.Message(8, 13).clientId().option(3, iaNa).frame())
                        .frame(new Dhcpv6Frames.Message(9, 14).clientId().option(3, iaNa).frame())),
                seed("relay-forw", FrameScript.builder().frame(new Dhcpv6Frames.Message(12, 0x010000)
                        .option(9, Dhcpv6Frames.informationRequest(1).clientId().bytes()).frame())),
                seed("an option longer than the message", FrameScript.builder()
                        .frame(Dhcpv6Frames.informationRequest(5).clientId().raw(6, 400, new byte[] {0, 23}).frame())),
                seed("unicast to the router's global address", FrameScript.builder()
                        .frame(Dhcpv6Frames.informationRequest(6).clientId().frame(GUEST6, HOST6))));
    }

    private static ByteBuf withHopLimit(ByteBuf frame, int hops) {
        frame.setByte(14 + 7, hops);
        return frame;
    }

    private static Arguments seed(String name, FrameScript.Builder script) {
        return Arguments.of(Named.of(name, script.build()));
    }
}
