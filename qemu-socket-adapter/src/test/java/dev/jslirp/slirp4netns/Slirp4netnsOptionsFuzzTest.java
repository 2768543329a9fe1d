package dev.jslirp.slirp4netns;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * Fuzzes {@code jslirp slirp4netns}'s command line as the command reads it before
 * starting: an input is the argument array, one argument a line, parsed by picocli and
 * then checked ({@link Slirp4netnsOptions#check}). A command line is refused with
 * picocli's {@link CommandLine.ParameterException} (an unknown option, a missing value)
 * or a {@link UsageException} carrying a message (both exit status 2), never another
 * exception. The check has no side effect beyond looking (paths, interfaces, whether a
 * file descriptor is open), so arbitrary arguments are safe to check.
 */
class Slirp4netnsOptionsFuzzTest {
    @ValueSource(strings = {"--configure\n--mtu=65520\n--disable-host-loopback\n4242\ntap0",
            "-c\n-e\n3\n-r\n4\n--api-socket\n/tmp/s4.sock\n--enable-ipv6\n4242\ntap0",
            "--netns-type=path\n/proc/self/ns/net\ntap0",
            "--cidr=10.0.3.0/24\n--outbound-addr=127.0.0.1\n--outbound-addr6=::1\n4242\ntap0",
            "-c\n--macaddress=02:00:00:00:00:01\n--enable-seccomp\n--enable-sandbox\n4242\ntap0\nextra",
            "--target-type=bess\n4242\ntap0", "--mtu=0\n1\ntap0", "--cidr=10.0.2.0/33\n1\ntap0", "-m\n-1",
            "--userns-path=/nonexistent\n1\ntap0", "--netns-type=tapfd\n1\ntap0", "4242", "--help\n--version"})
    @FuzzTest(maxDuration = "10m")
    void commandLines(@NotNull String lines) {
        String[] args = lines.isEmpty() ? new String[0] : lines.split("\n", -1);
        Slirp4netnsCommand cmd = new Slirp4netnsCommand();
        try {
            // as JslirpCommand.commandLine() sets it up: no picocli argument files
            new CommandLine(cmd).setExpandAtFiles(false).parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            requireMessage(e);
            return;
        }
        try {
            Slirp4netnsOptions.check(cmd.raw());
        } catch (UsageException e) {
            requireMessage(e);
        }
    }

    private static void requireMessage(RuntimeException e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("refused without a message", e);
        }
    }
}
