package dev.jslirp.nat.guestfwd;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import dev.jslirp.core.config.ConfigException;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzes the parser of {@code guestfwd=} rules ({@code -netdev user}, {@code --guestfwd}):
 * a rule is refused with a {@link ConfigException} naming {@code guestfwd} and carrying a
 * message, never another exception; a rule accepted prints ({@link GuestForward#toString()})
 * as a rule that parses back to the same forward.
 *
 * <p>A {@code tcp:HOST:PORT} device resolves HOST when parsed; so that fuzzing sends no
 * query to the machine's resolver, the fuzz JVM resolves names from
 * {@code benchmarks/fuzz/hosts} alone ({@code jdk.net.hosts.file}, set by the root pom's
 * {@code fuzz-corpus} execution), which the target checks.
 */
class GuestForwardFuzzTest {
    @ValueSource(strings = {"tcp:10.0.2.100:1234-tcp:127.0.0.1:8080", ":1234-cmd:netcat 127.0.0.1 80",
            "tcp::80-unix:/tmp/guestfwd.sock", "tcp:[fec0::4]:80-tcp:[::1]:8080", "TCP:10.0.2.4:1-tcp::1",
            "tcp:10.0.2.100:1234-tcp:localhost:8080", "tcp:10.0.2.100:1234-tcp:no-such-name.test:8080",
            "udp:10.0.2.100:53-tcp:127.0.0.1:53", ":0-cmd:x", "tcp:10.0.2.100:1234-file:/tmp/x",
            "tcp:10.0.2.100:1234-tcp:127.0.0.1:80,server=on", "tcp:10.0.2.1.5:1-cmd:x", "-"})
    @FuzzTest(maxDuration = "10m")
    void rules(@NotNull String rule) {
        if (System.getProperty("jdk.net.hosts.file") == null) {
            throw new AssertionError("jdk.net.hosts.file is not set: the fuzz JVM would ask the machine's resolver");
        }
        GuestForward f;
        try {
            f = GuestForward.parse(rule);
        } catch (ConfigException e) {
            if (!"guestfwd".equals(e.option()) || e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("refused without naming guestfwd: " + e.getMessage(), e);
            }
            return;
        }
        GuestForward again = GuestForward.parse(f.toString());
        if (!again.equals(f)) {
            throw new AssertionError("'" + rule + "' parsed as " + f + ", which parses as " + again);
        }
    }
}
