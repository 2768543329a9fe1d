package dev.jslirp.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReadRequestTest {
    /**
     * The read request busybox 1.35's {@code tftp -g -r hello.txt -b 1468 10.0.2.2} sends
     * (busybox-static 1:1.35.0-4 in the test guest, captured on jslirp's link): name, mode,
     * then blksize and tsize.
     */
    static final String BUSYBOX_RRQ = "000168656c6c6f2e747874006f6374657400626c6b73697a650031343638007473697a65003000";

    private static ReadRequest.Parsed parse(byte[] bytes) {
        ByteBuf b = Unpooled.wrappedBuffer(bytes);
        try {
            return ReadRequest.parse(b, 0, bytes.length);
        } finally {
            b.release();
        }
    }

    private static ReadRequest ok(byte[] bytes) {
        ReadRequest.Parsed p = parse(bytes);
        assertThat(p.problem()).isNull();
        return p.request();
    }

    @Test
    void busyboxRequestParses() {
        ReadRequest r = ok(ByteBufUtil.decodeHexDump(BUSYBOX_RRQ));
        assertThat(r).isEqualTo(new ReadRequest("hello.txt", TransferMode.OCTET, 1468, 0,
                ReadRequest.ABSENT, ReadRequest.ABSENT));
    }

    @Test
    void requestWithoutOptionsHasAllAbsent() {
        ReadRequest r = ok(TftpWire.rrq("boot/vmlinuz", "octet"));
        assertThat(r.name()).isEqualTo("boot/vmlinuz");
        assertThat(r.blockSize()).isEqualTo(ReadRequest.ABSENT);
        assertThat(r.transferSize()).isEqualTo(ReadRequest.ABSENT);
        assertThat(r.timeout()).isEqualTo(ReadRequest.ABSENT);
        assertThat(r.windowSize()).isEqualTo(ReadRequest.ABSENT);
    }

    @Test
    void modesAndOptionNamesAreCaseInsensitive() {
        ReadRequest r = ok(TftpWire.rrq("f", "NetAscii", "BLKSIZE", "1024", "TSize", "0", "TimeOut", "3",
                "WindowSize", "4"));
        assertThat(r.mode()).isEqualTo(TransferMode.NETASCII);
        assertThat(r.blockSize()).isEqualTo(1024);
        assertThat(r.transferSize()).isZero();
        assertThat(r.timeout()).isEqualTo(3);
        assertThat(r.windowSize()).isEqualTo(4);
        assertThat(ok(TftpWire.rrq("f", "OCTET")).mode()).isEqualTo(TransferMode.OCTET);
    }

    @Test
    void unknownOptionsAreIgnoredAndTheFirstInstanceOfAnOptionCounts() {
        ReadRequest r = ok(TftpWire.rrq("f", "octet", "multicast", "", "blksize", "800", "blksize", "900",
                "rollover", "0"));
        assertThat(r.blockSize()).isEqualTo(800);
    }

    @Test
    void nonNumericValuesAreAbsentAndHugeOnesSaturate() {
        ReadRequest r = ok(TftpWire.rrq("f", "octet", "blksize", "12ab", "timeout", "-1", "tsize", "",
                "windowsize", "99999999999999999999999999"));
        assertThat(r.blockSize()).isEqualTo(ReadRequest.ABSENT);
        assertThat(r.timeout()).isEqualTo(ReadRequest.ABSENT);
        assertThat(r.transferSize()).isEqualTo(ReadRequest.ABSENT);
        assertThat(r.windowSize()).isEqualTo(Long.MAX_VALUE);
        assertThat(ok(TftpWire.rrq("f", "octet", "blksize", "4294967296")).blockSize()).isEqualTo(4294967296L);
        assertThat(ok(TftpWire.rrq("f", "octet", "blksize", "42949672960")).blockSize()).isEqualTo(Long.MAX_VALUE);
        assertThat(ok(TftpWire.rrq("f", "octet", "blksize", "0065464")).blockSize()).isEqualTo(65464);
    }

    @Test
    void trailingNulPaddingEndsTheOptions() {
        byte[] rrq = TftpWire.rrq("f", "octet", "blksize", "1024");
        byte[] padded = Arrays.copyOf(rrq, rrq.length + 5);
        assertThat(ok(padded).blockSize()).isEqualTo(1024);
    }

    @Test
    void utf8NamesAreText() {
        assertThat(ok(TftpWire.rrq("bücher/ö.txt", "octet")).name()).isEqualTo("bücher/ö.txt");
    }

    @Test
    void nameOfTheMaximumLengthIsAccepted() {
        String name = "a".repeat(ReadRequest.MAX_NAME_LENGTH);
        assertThat(ok(TftpWire.rrq(name, "octet")).name()).isEqualTo(name);
    }

    static Stream<Arguments> malformed() {
        byte[] noModeNul = {0, 1, 'f', 0, 'o', 'c', 't', 'e', 't'};
        byte[] nameOnly = {0, 1, 'f', 0};
        byte[] noNameNul = {0, 1, 'f', 'i', 'l', 'e'};
        byte[] optionNoValue = TftpWire.request(1, "f", "octet", "blksize");
        byte[] optionValueNoNul = Arrays.copyOf(TftpWire.rrq("f", "octet", "blksize", "512"),
                TftpWire.rrq("f", "octet", "blksize", "512").length - 1);
        byte[] bareOpcode = {0, 1};
        byte[] controlChar = TftpWire.rrq("a\nb", "octet");
        byte[] del = TftpWire.rrq("a\u007fb", "octet");
        byte[] notUtf8 = {0, 1, (byte) 0xc3, (byte) 0x28, 0, 'o', 'c', 't', 'e', 't', 0};
        byte[] tooLong = TftpWire.rrq("a".repeat(ReadRequest.MAX_NAME_LENGTH + 1), "octet");
        byte[] tooLongUnterminated = new byte[2 + 4000];
        tooLongUnterminated[1] = 1;
        Arrays.fill(tooLongUnterminated, 2, tooLongUnterminated.length, (byte) 'x');
        return Stream.of(
                Arguments.of("opcode only", bareOpcode, ReadRequest.Problem.NAME_UNTERMINATED),
                Arguments.of("name without NUL", noNameNul, ReadRequest.Problem.NAME_UNTERMINATED),
                Arguments.of("no mode", nameOnly, ReadRequest.Problem.MODE_MISSING),
                Arguments.of("mode without NUL", noModeNul, ReadRequest.Problem.MODE_MISSING),
                Arguments.of("mode mail", TftpWire.rrq("f", "mail"), ReadRequest.Problem.MODE_UNSUPPORTED),
                Arguments.of("empty mode", TftpWire.rrq("f", ""), ReadRequest.Problem.MODE_UNSUPPORTED),
                Arguments.of("option without value", optionNoValue, ReadRequest.Problem.OPTION_UNTERMINATED),
                Arguments.of("value without NUL", optionValueNoNul, ReadRequest.Problem.OPTION_UNTERMINATED),
                Arguments.of("newline in name", controlChar, ReadRequest.Problem.NAME_NOT_TEXT),
                Arguments.of("DEL in name", del, ReadRequest.Problem.NAME_NOT_TEXT),
                Arguments.of("name not UTF-8", notUtf8, ReadRequest.Problem.NAME_NOT_TEXT),
                Arguments.of("name over 512 bytes", tooLong, ReadRequest.Problem.NAME_TOO_LONG),
                Arguments.of("4000 name bytes, no NUL", tooLongUnterminated, ReadRequest.Problem.NAME_TOO_LONG));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedRequestsAreRefusedWithTheirProblem(String what, byte[] bytes, ReadRequest.Problem problem) {
        ReadRequest.Parsed p = parse(bytes);
        assertThat(p.request()).isNull();
        assertThat(p.problem()).isEqualTo(problem);
    }

    @Test
    void parsingStaysWithinTheGivenRange() {
        // The request sits inside a larger buffer whose following bytes would complete it.
        byte[] whole = TftpWire.rrq("f", "octet");
        ByteBuf b = Unpooled.buffer();
        b.writeBytes(new byte[] {9, 9, 9});
        b.writeBytes(whole, 0, 5); // "\0\1f\0o": mode cut short
        b.writeBytes(whole, 5, whole.length - 5);
        try {
            assertThat(ReadRequest.parse(b, 3, 5).problem()).isEqualTo(ReadRequest.Problem.MODE_MISSING);
            assertThat(ReadRequest.parse(b, 3, whole.length).problem()).isNull();
        } finally {
            b.release();
        }
    }
}
