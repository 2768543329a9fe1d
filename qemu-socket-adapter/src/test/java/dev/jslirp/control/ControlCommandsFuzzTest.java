package dev.jslirp.control;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.testkit.fuzz.BugLog;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.nat.hostfwd.HostForwards;
import dev.jslirp.transport.IoTransport;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzes the control socket's commands (HMP's {@code hostfwd_add} / {@code hostfwd_remove},
 * {@code info ...}, {@code help}, {@code quit}) against an assembled network: an input is
 * up to eight command lines, run in order on the network's loop. A command is answered,
 * never thrown out of, and never with the "internal error" reply that means it caught a
 * bug of its own. Forwards added are removed after each input.
 *
 * <p>So that fuzzing opens no port beyond this machine, a {@code hostfwd_add} whose rule
 * would listen on an address other than loopback is not run (its rule still goes through
 * {@link HmpHostfwd#parseAdd}). The pcap commands answer that there is no capture (none
 * is given): a fuzzer must not name files to write.
 */
class ControlCommandsFuzzTest {
    private static EventLoopGroup group;
    private static JslirpNetwork network;
    private static ControlCommands commands;

    @BeforeAll
    static void startNetwork() {
        IoTransport io = IoTransport.NIO;
        group = io.newEventLoopGroup(1);
        network = JslirpNetwork.builder().dns(DnsConfig.builder().addUpstream("127.0.0.1:9").build())
                .eventLoop(group.next(), io.hostChannels()).build();
        commands = new ControlCommands(network, "n0", null);
    }

    @AfterAll
    static void stopNetwork() {
        network.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @ValueSource(strings = {"help", "info usernet", "info stats", "info stats json", "quit",
            "hostfwd_add tcp:127.0.0.1:0-:22\ninfo usernet\nhostfwd_remove tcp:127.0.0.1:0",
            "hostfwd_add n0 udp:[::1]:0-[fec0::15]:53", "hostfwd_add n1 tcp:127.0.0.1:0-:22",
            "hostfwd_remove tcp::2222", "hostfwd_add tcp:127.0.0.1:2222-10.0.2.99:22 extra",
            "hostfwd_add unix:/tmp/x-:22", "pcap start /tmp/x.pcap", "pcap", "info", "nonsense words"})
    @FuzzTest(maxDuration = "10m")
    void commandLines(@NotNull String input) {
        BugLog.install();
        BugLog.assertNone("before the input ran");
        String[] lines = input.split("\n", 9);
        for (int i = 0; i < Math.min(8, lines.length); i++) {
            String line = lines[i];
            if (!safeToRun(line)) {
                continue;
            }
            ControlReply r = network.eventLoop().submit(() -> commands.execute(line)).syncUninterruptibly().getNow();
            if (r == null || (!r.isOk() && r.error().startsWith("internal error"))) {
                throw new AssertionError("'" + line + "' answered " + (r == null ? "nothing" : r.text()));
            }
        }
        for (HostForwards.Active a : network.nat().forwards()) {
            HostForward f = a.rule();
            network.nat().removeForward(f.protocol(), f.hostAddress(), a.listening().getPort()).syncUninterruptibly();
        }
        if (!network.nat().forwards().isEmpty()) {
            throw new AssertionError("forwards left: " + network.nat().forwards());
        }
        BugLog.assertNone("after the commands");
    }

    /**
     * HMP's rules alone: refused with {@link HmpHostfwd.BadRule} and a message, never
     * another exception; a rule {@code hostfwd_add} accepts is the forward the command
     * line's {@code hostfwd=} reads from its printed form.
     */
    @ValueSource(strings = {"tcp::2222-:22", "udp:127.0.0.1:5353-10.0.2.15:53", "tcp:[::1]:8080-[fec0::15]:80",
            "tcp:127.0.0.1:2222", "unix:/tmp/x-:22", "tcp::-:", "::1-:1"})
    @FuzzTest(maxDuration = "10m")
    void hmpRules(@NotNull String rule) {
        try {
            HostForward f = HmpHostfwd.parseAdd(rule);
            HostForward again = HostForward.parse(f.toString());
            if (!again.equals(f)) {
                throw new AssertionError("'" + rule + "' added " + f + ", whose printed form reads as " + again);
            }
        } catch (HmpHostfwd.BadRule e) {
            requireMessage(e);
        }
        try {
            HmpHostfwd.parseRemove(rule);
        } catch (HmpHostfwd.BadRule e) {
            requireMessage(e);
        }
    }

    private static void requireMessage(HmpHostfwd.BadRule e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("a rule refused without a message", e);
        }
    }

    /** False for a hostfwd_add that would listen beyond loopback (its rule is parsed instead). */
    private static boolean safeToRun(String line) {
        String[] words = line.trim().split("[ \t]+");
        if (!words[0].equals("hostfwd_add") || words.length < 2) {
            return true;
        }
        try {
            IpAddress host = HmpHostfwd.parseAdd(words[words.length - 1]).hostAddress();
            return host != null && (host.equals(IpAddress.parse("::1"))
                    || (host.isIpv4() && (host.lo() & 0xff000000L) == 0x7f000000L));
        } catch (HmpHostfwd.BadRule e) {
            return true;
        }
    }
}
