package dev.jslirp.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The host half of the console protocol, on hand-written console text (no QEMU). */
class ConsoleProtocolTest {
    private final ConsoleProtocol protocol = new ConsoleProtocol("n0nce");

    private static String iso(String utf8) {
        return new String(utf8.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    @Test
    void longCommandIsSplitIntoChunkLinesBelowTheTtyLimit() {
        String command = "echo " + "y".repeat(5000);
        String[] lines = new String(protocol.encode(42, command), StandardCharsets.US_ASCII).split("\n");

        assertThat(lines[lines.length - 1]).isEqualTo("R42");
        StringBuilder b64 = new StringBuilder();
        for (int i = 0; i < lines.length - 1; i++) {
            assertThat(lines[i]).startsWith("C").hasSizeLessThanOrEqualTo(ConsoleProtocol.CHUNK + 1);
            b64.append(lines[i], 1, lines[i].length());
        }
        assertThat(new String(Base64.getDecoder().decode(b64.toString()), StandardCharsets.UTF_8)).isEqualTo(command);
    }

    @Test
    void completionNeedsTheEndMarkerOfTheSameIdAndNonce() {
        String begin = "@@JSLIRP:n0nce:BEGIN:7@@\n";
        assertThat(protocol.findCompletion(begin + "out\n", 7)).isNull();
        assertThat(protocol.findCompletion(begin + "out\n\n@@JSLIRP:n0nce:END:6:0@@\n", 7)).isNull();
        assertThat(protocol.findCompletion(begin + "out\n\n@@JSLIRP:other:END:7:0@@\n", 7)).isNull();
        assertThat(protocol.findCompletion(begin + "out\n\n@@JSLIRP:n0nce:END:7:0", 7)).isNull();
    }

    @Test
    void completionKeepsOutputExactAndConsumesThroughTheMarkerLine() {
        String text = "boot noise\n@@JSLIRP:n0nce:BEGIN:7@@\n" + iso("a\n\nü") + "\n@@JSLIRP:n0nce:END:7:12@@\nrest";
        ConsoleProtocol.Completion c = protocol.findCompletion(text, 7);

        assertThat(c.result()).isEqualTo(new GuestResult(12, "a\n\nü"));
        assertThat(text.substring(c.consumedChars())).isEqualTo("rest");
    }

    @Test
    void emptyOutputIsEmpty() {
        ConsoleProtocol.Completion c =
                protocol.findCompletion("@@JSLIRP:n0nce:BEGIN:1@@\n\n@@JSLIRP:n0nce:END:1:0@@\n", 1);
        assertThat(c.result()).isEqualTo(new GuestResult(0, ""));
    }

    @Test
    void partialOutputIsWhatFollowsTheBeginMarker() {
        assertThat(protocol.partialOutput("x@@JSLIRP:n0nce:BEGIN:3@@\nhalf", 3)).isEqualTo("half");
        assertThat(protocol.partialOutput("nothing yet", 3)).isEmpty();
    }
}
