package dev.jslirp.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransferParametersTest {
    /** MTU 1500: 1468-byte blocks, 64 KiB windows, 1 s. */
    static final TransferParameters.Limits LIMITS = new TransferParameters.Limits(
            TftpService.maxBlockSize(1500, false), 65536, TimeUnit.SECONDS.toNanos(1));
    static final long A = ReadRequest.ABSENT;

    private static ReadRequest request(long blksize, long tsize, long timeout, long windowsize) {
        return new ReadRequest("f", TransferMode.OCTET, blksize, tsize, timeout, windowsize);
    }

    @Test
    void withoutOptionsItIsRfc1350() {
        TransferParameters p = TransferParameters.negotiate(request(A, A, A, A), 1000, LIMITS);
        assertThat(p.hasOptions()).isFalse();
        assertThat(p.blockSize()).isEqualTo(512);
        assertThat(p.windowSize()).isEqualTo(1);
        assertThat(p.retransmitNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(1));
    }

    @Test
    void blockSizeFitsTheMtu() {
        assertThat(TftpService.maxBlockSize(1500, false)).isEqualTo(1468);
        assertThat(TftpService.maxBlockSize(576, false)).isEqualTo(544);
        assertThat(TftpService.maxBlockSize(65520, false)).isEqualTo(65464);
        // With IPv6 on, a block fits an IPv6 frame: its header is 20 bytes longer.
        assertThat(TftpService.maxBlockSize(1500, true)).isEqualTo(1448);
        assertThat(TftpService.maxBlockSize(65520, true)).isEqualTo(65464);
    }

    @ParameterizedTest(name = "blksize {0} -> {1}")
    @CsvSource({
        "-1, 512, false",      // absent
        "0, 512, false",       // below RFC 2348's 8: ignored
        "1, 512, false",
        "7, 512, false",
        "8, 8, true",
        "512, 512, true",
        "1428, 1428, true",
        "1468, 1468, true",
        "1469, 1468, true",    // above what fits the MTU: granted smaller
        "65464, 1468, true",
        "65535, 1468, true",
        "9223372036854775807, 1468, true"})
    void blockSizeNegotiation(long asked, int granted, boolean acked) {
        TransferParameters p = TransferParameters.negotiate(request(asked, A, A, A), 0, LIMITS);
        assertThat(p.blockSize()).isEqualTo(granted);
        assertThat(p.blockSizeAcked()).isEqualTo(acked);
    }

    @Test
    void largeMtuGrantsTheRfcMaximum() {
        TransferParameters.Limits jumbo = new TransferParameters.Limits(TftpService.maxBlockSize(65520, false), 65536,
                TimeUnit.SECONDS.toNanos(1));
        assertThat(TransferParameters.negotiate(request(65535, A, A, A), 0, jumbo).blockSize()).isEqualTo(65464);
    }

    @ParameterizedTest(name = "timeout {0} -> acked {1}")
    @CsvSource({"0, false", "1, true", "255, true", "256, false", "-1, false"})
    void timeoutInRfc2349Range(long asked, boolean acked) {
        TransferParameters p = TransferParameters.negotiate(request(A, A, asked, A), 0, LIMITS);
        assertThat(p.timeoutAcked()).isEqualTo(acked);
        assertThat(p.retransmitNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(acked ? asked : 1));
    }

    @ParameterizedTest(name = "windowsize {0} at blksize {1} -> {2}")
    @CsvSource({
        "0, 512, 1, false",
        "1, 512, 1, true",
        "16, 512, 16, true",
        "65535, 512, 128, true",   // 64 KiB / 512
        "65536, 512, 1, false",    // beyond RFC 7440's range
        "64, 1468, 44, true",
        "8, 65464, 1, true"})      // one block is always granted
    void windowSizeWithinTheByteBudget(long asked, long blksize, int granted, boolean acked) {
        TransferParameters.Limits jumbo = new TransferParameters.Limits(65464, 65536, TimeUnit.SECONDS.toNanos(1));
        TransferParameters p = TransferParameters.negotiate(request(blksize, A, A, asked), 0, jumbo);
        assertThat(p.windowSize()).isEqualTo(granted);
        assertThat(p.windowSizeAcked()).isEqualTo(acked);
    }

    @Test
    void tsizeIsAnsweredWithTheFileSizeInOctetModeOnly() {
        assertThat(TransferParameters.negotiate(request(A, 0, A, A), 5_000_000_000L, LIMITS).transferSize())
                .isEqualTo(5_000_000_000L);
        // A client that sends its own guess still gets the real size.
        assertThat(TransferParameters.negotiate(request(A, 77, A, A), 1234, LIMITS).transferSize()).isEqualTo(1234);
        ReadRequest netascii = new ReadRequest("f", TransferMode.NETASCII, A, 0, A, A);
        TransferParameters p = TransferParameters.negotiate(netascii, 1234, LIMITS);
        assertThat(p.transferSize()).isEqualTo(A);
        assertThat(p.hasOptions()).isFalse();
    }

    @Test
    void oackCarriesTheGrantedValues() {
        TransferParameters p = TransferParameters.negotiate(request(65535, 0, 3, 100), 4321, LIMITS);
        ByteBuf b = Unpooled.buffer(TftpMessages.oackLength(p));
        TftpMessages.writeOack(b, p);
        assertThat(b.readableBytes()).isEqualTo(TftpMessages.oackLength(p));
        TftpWire.Message m = TftpWire.decode(TftpWire.take(b));
        assertThat(m.isOack()).isTrue();
        assertThat(m.options()).containsExactly(
                java.util.Map.entry("blksize", "1468"),
                java.util.Map.entry("tsize", "4321"),
                java.util.Map.entry("timeout", "3"),
                java.util.Map.entry("windowsize", "44"));
    }
}
