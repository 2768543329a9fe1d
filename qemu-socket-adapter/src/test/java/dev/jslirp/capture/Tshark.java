package dev.jslirp.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * tshark (Debian's {@code tshark}, installed by {@code .ci/run}) reading a capture: an
 * independent reader of the files jslirp writes. A test that needs it fails without it.
 */
public final class Tshark {
    private Tshark() {
    }

    /**
     * {@code tshark -r FILE [-Y FILTER] -T fields -e FIELD...}: one line per packet, the
     * fields separated by tabs. Fails if tshark cannot read the file.
     */
    public static List<String> fields(Path file, String filter, String... fields) throws IOException,
            InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString()));
        if (filter != null) {
            cmd.addAll(List.of("-Y", filter));
        }
        cmd.addAll(List.of("-T", "fields"));
        for (String f : fields) {
            cmd.addAll(List.of("-e", f));
        }
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            throw new AssertionError("tshark is needed (apt-get install tshark; .ci/run installs it)", e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("tshark ends").isTrue();
        assertThat(p.exitValue()).as("tshark -r %s: %s", file, err).isZero();
        String text = new String(out, StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : text.lines().toList();
    }
}
