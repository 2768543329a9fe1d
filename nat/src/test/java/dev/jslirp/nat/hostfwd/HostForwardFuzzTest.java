package dev.jslirp.nat.hostfwd;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import dev.jslirp.core.config.ConfigException;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzes the parser of {@code hostfwd=} rules ({@code --hostfwd}, {@code -netdev user}):
 * a rule is refused with a {@link ConfigException} naming {@code hostfwd}, never another
 * exception; a rule accepted prints ({@link HostForward#toString()}) as a rule that
 * parses back to the same forward.
 */
class HostForwardFuzzTest {
    @ValueSource(strings = {"tcp::2222-:22", "udp:127.0.0.1:5353-10.0.2.15:53", "tcp:[::1]:8080-[fec0::15]:80",
            ":0-:1", "tcp::65535-:65535", "tcp:[::ffff:1.2.3.4]:1-:1", "UDP:::1-:2", "tcp::-:22", "tcp:1.2.3:80-:80"})
    @FuzzTest(maxDuration = "10m")
    void rules(@NotNull String rule) {
        HostForward f;
        try {
            f = HostForward.parse(rule);
        } catch (ConfigException e) {
            if (!"hostfwd".equals(e.option()) || e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("refused without naming hostfwd: " + e.getMessage(), e);
            }
            return;
        }
        HostForward again = HostForward.parse(f.toString());
        if (!again.equals(f)) {
            throw new AssertionError("'" + rule + "' parsed as " + f + ", which parses as " + again);
        }
    }
}
