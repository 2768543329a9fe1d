package dev.jslirp.dhcp;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.fuzz.FrameScript;
import dev.jslirp.core.testkit.fuzz.FuzzNetwork;
import dev.jslirp.core.wire.Ipv4Address;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the DHCP server with what clients send (any sequence of BOOTP messages and
 * options, with time passing so leases expire), on a network whose configuration uses
 * every option the replies can carry. Beyond {@link FuzzNetwork}'s invariants: leases
 * never outnumber the pool and the static leases.
 */
class DhcpFuzzTest {
    private static final long STATIC_MAC = 0x5254_0000_0099L;

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10m")
    void messagesFromClients(byte[] script) {
        DhcpConfig config = DhcpConfig.builder().poolSize(4).leaseTime(Duration.ofSeconds(60)).hostname("vm")
                .domainName("example.test").addDnsSearch("a.example.test").addDnsSearch("b.example.test")
                .tftpServerName("boot.example.test").bootfile("pxelinux.0")
                .staticLease(STATIC_MAC, Ipv4Address.parse("10.0.2.50")).build();
        DhcpServer server = new DhcpServer(config);
        FuzzNetwork.of(NetworkConfig.defaults(), server)
                .check("leases within the pool", () -> server.activeLeases().size() <= server.poolSize() + 1
                        ? null : server.activeLeases() + " for a pool of " + server.poolSize())
                .run(script);
    }

    static Stream<Arguments> seeds() {
        int offered = Ipv4Address.parse("10.0.2.15");
        return Stream.of(
                seed("discover", FrameScript.builder().frame(ClientMessage.discover().frame())),
                seed("discover then request", FrameScript.builder().frame(ClientMessage.discover().frame())
                        .frame(ClientMessage.request().serverId(GATEWAY).requested(offered).frame())),
                seed("discover with every common option", FrameScript.builder().frame(ClientMessage.discover()
                        .clientId(new byte[] {1, 0x52, 0x54, 0, 0x12, 0x34, 0x56}).maxSize(576)
                        .option(55, new byte[] {1, 3, 6, 12, 15, 28, 42, 66, 67, 119}).option(12, "guest".getBytes())
                        .broadcastFlag().frame())),
                seed("renewal by unicast", FrameScript.builder().frame(ClientMessage.request().ciaddr(offered)
                        .ip(offered, GATEWAY).frame())),
                seed("release", FrameScript.builder().frame(ClientMessage.of(DhcpMessageType.RELEASE.code())
                        .ciaddr(offered).ip(offered, GATEWAY).serverId(GATEWAY).frame())),
                seed("decline", FrameScript.builder().frame(ClientMessage.of(DhcpMessageType.DECLINE.code())
                        .serverId(GATEWAY).requested(offered).frame())),
                seed("inform", FrameScript.builder().frame(ClientMessage.of(DhcpMessageType.INFORM.code())
                        .ciaddr(offered).ip(offered, GATEWAY).frame())),
                seed("static client", FrameScript.builder().frame(ClientMessage.discover().mac(STATIC_MAC).frame())),
                seed("options without an end", FrameScript.builder().frame(ClientMessage.discover()
                        .raw((byte) 55, (byte) 40, (byte) 1).noEnd().frame())),
                seed("five clients fill the pool, leases expire", fiveClients()));
    }

    private static FrameScript.Builder fiveClients() {
        FrameScript.Builder b = FrameScript.builder();
        for (int i = 1; i <= 5; i++) {
            b.frame(ClientMessage.discover().mac(0x0a00_0000_0000L | i).frame())
                    .frame(ClientMessage.request().mac(0x0a00_0000_0000L | i).serverId(GATEWAY)
                            .requested(Ipv4Address.parse("10.0.2.15") + i - 1).frame());
        }
        return b.advance(256).advance(256).advance(256);
    }

    private static Arguments seed(String name, FrameScript.Builder script) {
        return Arguments.of(Named.of(name, script.build()));
    }
}
