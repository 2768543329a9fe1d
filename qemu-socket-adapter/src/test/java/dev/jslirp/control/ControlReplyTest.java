package dev.jslirp.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Replies end with exactly one terminator, and nothing else can be taken for one. */
class ControlReplyTest {
    @Test
    void textLinesThenOkOrError() {
        assertThat(ControlReply.ok("a", "b").text()).isEqualTo("a\nb\nOK\n");
        assertThat(ControlReply.ok().text()).isEqualTo("OK\n");
        assertThat(ControlReply.error("no").text()).isEqualTo("ERROR: no\n");
    }

    @Test
    void aTextLineThatLooksLikeATerminatorIsIndented() {
        String text = ControlReply.ok(List.of("OK", "ERROR: x", "ERRORS", "OKAY")).text();
        assertThat(text).isEqualTo(" OK\n ERROR: x\n ERRORS\nOKAY\nOK\n");
        assertThat(text.lines().filter(ControlReply::isTerminator)).containsExactly("OK");
    }

    @Test
    void controlCharactersCannotBreakALine() {
        assertThat(ControlReply.ok("a\nOK", "t\tab\u007f").text()).isEqualTo("a?OK\nt?ab?\nOK\n");
        assertThat(ControlReply.error("bad\r\nOK").text()).isEqualTo("ERROR: bad??OK\n");
    }
}
