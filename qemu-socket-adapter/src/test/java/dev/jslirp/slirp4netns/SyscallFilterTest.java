package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code --enable-seccomp}'s filter in a JVM of its own (it cannot be taken back): once
 * installed, no thread, not even one started before, can start a program.
 */
class SyscallFilterTest {
    @Test
    void afterTheFilterNoThreadCanStartAProgram() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SyscallFilterProbe.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).containsPattern("denied [1-9][0-9]* system calls")
                .contains("refused: ").contains("Operation not permitted");
    }
}
