package dev.jslirp.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The header-and-question view: parse, compare, and every malformed shape. */
class DnsMessageViewTest {
    private final DnsMessageView view = new DnsMessageView();

    private DnsMessageView.Problem wrap(byte[] message, int offset) {
        byte[] padded = new byte[offset + message.length + 5];
        System.arraycopy(message, 0, padded, offset, message.length);
        ByteBuf b = Unpooled.wrappedBuffer(padded);
        return view.wrap(b, offset, message.length);
    }

    @Test
    void parsesHeaderAndQuestionAtAnOffset() {
        byte[] q = GuestDns.queryWithEdns(0xabcd, "WWW.Example.test", 28, 1232);
        assertThat(wrap(q, 7)).isNull();
        assertThat(view.id()).isEqualTo(0xabcd);
        assertThat(view.isResponse()).isFalse();
        assertThat(view.opcode()).isZero();
        assertThat(view.hasQuestion()).isTrue();
        assertThat(view.qtype()).isEqualTo(28);
        assertThat(view.qclass()).isEqualTo(1);
        assertThat(view.questionOffset()).isEqualTo(7 + 12);
        assertThat(view.questionLength()).isEqualTo(18 + 4);
        assertThat(view.nameText()).isEqualTo("www.example.test.");
        byte[] wire = DnsMessageView.toWireName("www.example.test");
        assertThat(view.nameEquals(wire, wire.length)).isTrue();
        assertThat(view.nameHash()).isEqualTo(DnsMessageView.hashName(wire, wire.length));
    }

    @Test
    void theRootNameParses() {
        assertThat(wrap(GuestDns.query(1, ".", 2), 0)).isNull();
        assertThat(view.nameLength()).isEqualTo(1);
        assertThat(view.nameText()).isEqualTo(".");
    }

    @Test
    void questionsCompareCaseInsensitivelyAndByTypeAndClass() {
        DnsMessageView other = new DnsMessageView();
        other.wrap(Unpooled.wrappedBuffer(GuestDns.query(1, "example.TEST", 1)), 0,
                GuestDns.query(1, "example.TEST", 1).length);
        wrap(GuestDns.query(2, "EXAMPLE.test", 1), 0);
        assertThat(view.sameQuestion(other)).isTrue();
        wrap(GuestDns.query(2, "EXAMPLE.test", 28), 0);
        assertThat(view.sameQuestion(other)).isFalse();
        wrap(GuestDns.query(2, "example.test.x", 1), 0);
        assertThat(view.sameQuestion(other)).isFalse();
    }

    @Test
    void aNameOfExactly255OctetsParsesAnd256DoesNot() {
        // 3 labels of 63 (192 octets) + one of 61 (62) + root (1) = 255
        String l63 = "a".repeat(63);
        assertThat(wrap(GuestDns.query(1, l63 + "." + l63 + "." + l63 + "." + "b".repeat(61), 1), 0)).isNull();
        assertThat(view.nameLength()).isEqualTo(255);
        assertThat(wrap(GuestDns.query(1, l63 + "." + l63 + "." + l63 + "." + "b".repeat(62), 1), 0))
                .isEqualTo(DnsMessageView.Problem.NAME_TOO_LONG);
    }

    @Test
    void malformedShapesAreNamed() {
        byte[] good = GuestDns.query(0x0102, "a.test", 1);
        assertThat(wrap(new byte[11], 0)).isEqualTo(DnsMessageView.Problem.TRUNCATED_HEADER);
        assertThat(wrap(java.util.Arrays.copyOf(good, 12 + 3), 0)).isEqualTo(DnsMessageView.Problem.TRUNCATED_QUESTION);
        assertThat(view.id()).as("header still readable").isEqualTo(0x0102);
        assertThat(view.hasQuestion()).isFalse();
        assertThat(wrap(java.util.Arrays.copyOf(good, good.length - 1), 0))
                .isEqualTo(DnsMessageView.Problem.TRUNCATED_QUESTION);
        byte[] loop = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xc0, 12, 0, 1, 0, 1};
        assertThat(wrap(loop, 0)).isEqualTo(DnsMessageView.Problem.COMPRESSED_NAME);
        byte[] extended = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0, 0, 1, 0, 1};
        assertThat(wrap(extended, 0)).isEqualTo(DnsMessageView.Problem.BAD_LABEL);
        byte[] none = {0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertThat(wrap(none, 0)).isEqualTo(DnsMessageView.Problem.NO_QUESTION);
        byte[] two = good.clone();
        two[5] = 2;
        assertThat(wrap(two, 0)).isEqualTo(DnsMessageView.Problem.SEVERAL_QUESTIONS);
    }

    @Test
    void everyTruncationOfAQueryIsRejectedWithoutException() {
        byte[] q = GuestDns.query(9, "deep.label.chain.example.test", 1);
        for (int len = 0; len < q.length; len++) {
            assertThat(wrap(java.util.Arrays.copyOf(q, len), 3)).as("length %d", len).isNotNull();
        }
        assertThat(wrap(q, 3)).isNull();
    }

    @Test
    void wireNamesOfConfiguredNames() {
        assertThat(DnsMessageView.toWireName("a.bc")).containsExactly(1, 'a', 2, 'b', 'c', 0);
    }
}
