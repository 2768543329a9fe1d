package dev.jslirp.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TftpSessionTest {
    static final long A = ReadRequest.ABSENT;
    static final Duration ONE_SECOND = Duration.ofSeconds(1);

    private final List<SessionRig> rigs = new java.util.ArrayList<>();

    /** A rig whose session is aborted after the test if still alive, so its buffers are released. */
    private SessionRig rig(ReadRequest request, byte[] file) {
        SessionRig r = new SessionRig(request, file);
        rigs.add(r);
        return r;
    }

    private SessionRig rig(ReadRequest request, byte[] file, TransferParameters.Limits limits, int retries) {
        SessionRig r = new SessionRig(request, file, limits, retries);
        rigs.add(r);
        return r;
    }

    @org.junit.jupiter.api.AfterEach
    void endSessions() {
        rigs.forEach(r -> r.session.abort());
    }

    static byte[] file(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + i / 256);
        }
        return b;
    }

    /** Acknowledges every DATA until the session ends; returns the bytes received in order. */
    static byte[] receiveAll(SessionRig rig, TftpWire.Message first) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        TftpWire.Message m = first;
        while (true) {
            assertThat(m.isData()).as("%s", m).isTrue();
            out.writeBytes(m.data());
            rig.ack(m.block());
            if (rig.outcome != null) {
                return out.toByteArray();
            }
            m = rig.one();
        }
    }

    @Test
    void lockStepTransferSendsBlocksOfFiveHundredTwelveAndEndsOnTheShortOne() {
        byte[] f = file(1300);
        SessionRig rig = rig(SessionRig.request(A, A, A, A), f).open();
        TftpWire.Message d1 = rig.one();
        assertThat(d1.block()).isEqualTo(1);
        assertThat(d1.data()).isEqualTo(Arrays.copyOfRange(f, 0, 512));
        rig.ack(1);
        TftpWire.Message d2 = rig.one();
        assertThat(d2.block()).isEqualTo(2);
        assertThat(d2.data()).isEqualTo(Arrays.copyOfRange(f, 512, 1024));
        rig.ack(2);
        TftpWire.Message d3 = rig.one();
        assertThat(d3.block()).isEqualTo(3);
        assertThat(d3.data()).isEqualTo(Arrays.copyOfRange(f, 1024, 1300));
        assertThat(rig.outcome).isNull();
        rig.ack(3);
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.COMPLETED);
        assertThat(rig.endedCalls).isEqualTo(1);
        assertThat(rig.drain()).isEmpty();
        assertThat(rig.counters.get(TftpCounter.TRANSFERS_COMPLETED)).isEqualTo(1);
        assertThat(rig.counters.get(TftpCounter.DATA_SENT)).isEqualTo(3);
        assertThat(rig.counters.get(TftpCounter.BYTES_SENT)).isEqualTo(1300);
        assertThat(rig.counters.get(TftpCounter.DATA_RETRANSMITTED)).isZero();
    }

    @Test
    void fileOfWholeBlocksEndsWithAnEmptyBlock() {
        SessionRig rig = rig(SessionRig.request(A, A, A, A), file(1024)).open();
        rig.ack(rig.one().block());
        rig.ack(rig.one().block());
        TftpWire.Message last = rig.one();
        assertThat(last.block()).isEqualTo(3);
        assertThat(last.data()).isEmpty();
        rig.ack(3);
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.COMPLETED);
    }

    @Test
    void emptyFileIsOneEmptyBlock() {
        SessionRig rig = rig(SessionRig.request(A, A, A, A), new byte[0]).open();
        TftpWire.Message d = rig.one();
        assertThat(d.block()).isEqualTo(1);
        assertThat(d.data()).isEmpty();
        rig.ack(1);
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.COMPLETED);
    }

    @Test
    void optionsAreAcknowledgedAndDataWaitsForAckZero() {
        byte[] f = file(3000);
        SessionRig rig = rig(SessionRig.request(1024, 0, A, A), f).open();
        TftpWire.Message oack = rig.one();
        assertThat(oack.isOack()).isTrue();
        assertThat(oack.options()).containsExactly(Map.entry("blksize", "1024"), Map.entry("tsize", "3000"));
        assertThat(rig.session.state()).isEqualTo(TftpSession.State.OPTIONS_SENT);
        rig.ack(0);
        TftpWire.Message d1 = rig.one();
        assertThat(d1.block()).isEqualTo(1);
        assertThat(d1.data()).hasSize(1024);
        assertThat(receiveAll(rig, d1)).isEqualTo(f);
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.COMPLETED);
    }

    @Test
    void anAckOtherThanZeroToTheOackIsIgnored() {
        SessionRig rig = rig(SessionRig.request(1024, A, A, A), file(10)).open();
        rig.one();
        rig.ack(1);
        assertThat(rig.drain()).isEmpty();
        assertThat(rig.counters.get(TftpCounter.STRAY_ACKS)).isEqualTo(1);
        rig.ack(0);
        assertThat(rig.one().block()).isEqualTo(1);
    }

    @Test
    void unansweredOackIsSentAgainThenTheSessionIsAbandonedWithoutAMessage() {
        SessionRig rig = rig(SessionRig.request(A, 0, A, A), file(10)).open();
        assertThat(rig.one().isOack()).isTrue();
        rig.advance(Duration.ofMillis(999));
        assertThat(rig.drain()).isEmpty();
        for (int i = 1; i <= 5; i++) {
            rig.advance(ONE_SECOND);
            assertThat(rig.one().isOack()).as("retransmission %d", i).isTrue();
        }
        rig.advance(ONE_SECOND);
        assertThat(rig.drain()).isEmpty();
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.TIMED_OUT);
        assertThat(rig.counters.get(TftpCounter.TIMEOUTS)).isEqualTo(1);
        assertThat(rig.counters.get(TftpCounter.OACK_SENT)).isEqualTo(6);
    }

    @Test
    void lostDataIsSentAgainAfterTheTimeoutAndProgressResetsTheCount() {
        SessionRig rig = rig(SessionRig.request(A, A, A, A), file(2000)).open();
        assertThat(rig.one().block()).isEqualTo(1);
        for (int i = 0; i < 4; i++) {
            rig.advance(ONE_SECOND);
            assertThat(rig.one().block()).isEqualTo(1);
        }
        rig.ack(1);
        assertThat(rig.one().block()).isEqualTo(2);
        // Five more timeouts are allowed again after progress.
        for (int i = 0; i < 5; i++) {
            rig.advance(ONE_SECOND);
            assertThat(rig.one().block()).isEqualTo(2);
        }
        assertThat(rig.outcome).isNull();
        rig.advance(ONE_SECOND);
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.TIMED_OUT);
        assertThat(rig.counters.get(TftpCounter.DATA_RETRANSMITTED)).isEqualTo(9);
    }

    @Test
    void timeoutOptionSetsTheRetransmissionInterval() {
        SessionRig rig = rig(SessionRig.request(A, A, 3, A), file(2000)).open();
        assertThat(rig.one().options()).containsExactly(Map.entry("timeout", "3"));
        rig.ack(0);
        assertThat(rig.one().block()).isEqualTo(1);
        rig.advance(Duration.ofMillis(2999));
        assertThat(rig.drain()).isEmpty();
        rig.advance(Duration.ofMillis(1));
        assertThat(rig.one().block()).isEqualTo(1);
    }

    @Test
    void duplicateAckIsIgnoredInLockStep() {
        // RFC 1123 4.2.3.1: answering a duplicate ACK would send every later block twice.
        SessionRig rig = rig(SessionRig.request(A, A, A, A), file(2000)).open();
        rig.one();
        rig.ack(1);
        assertThat(rig.one().block()).isEqualTo(2);
        rig.ack(1);
        assertThat(rig.drain()).isEmpty();
        assertThat(rig.counters.get(TftpCounter.DUPLICATE_ACKS)).isEqualTo(1);
        rig.ack(2);
        assertThat(rig.one().block()).isEqualTo(3);
    }

    @Test
    void ackForABlockNotSentIsIgnored() {
        SessionRig rig = rig(SessionRig.request(A, A, A, A), file(5000)).open();
        rig.one();
        rig.ack(5);
        rig.ack(0xffff);
        assertThat(rig.drain()).isEmpty();
        assertThat(rig.counters.get(TftpCounter.STRAY_ACKS)).isEqualTo(2);
        rig.ack(1);
        assertThat(rig.one().block()).isEqualTo(2);
    }

    @Test
    void messagesBeforeTheFileIsOpenAreIgnored() {
        SessionRig rig = rig(SessionRig.request(A, A, A, A), file(10));
        rig.ack(0);
        rig.ack(1);
        assertThat(rig.drain()).isEmpty();
        assertThat(rig.outcome).isNull();
        rig.open();
        assertThat(rig.one().block()).isEqualTo(1);
    }

    @Test
    void fileThatNeverOpensTimesOut() {
        SessionRig rig = rig(SessionRig.request(A, A, A, A), file(10));
        for (int i = 0; i < 6; i++) {
            rig.advance(ONE_SECOND);
        }
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.TIMED_OUT);
        assertThat(rig.drain()).isEmpty();
        // The open answering late changes nothing.
        rig.session.opened(10, rig.now);
        assertThat(rig.drain()).isEmpty();
    }

    @Test
    void clientErrorEndsTheTransferSilently() {
        SessionRig rig = rig(SessionRig.request(A, A, A, A), file(2000)).open();
        rig.one();
        rig.receive(TftpWire.error(0, "cancelled"));
        assertThat(rig.drain()).isEmpty();
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.CLIENT_ERROR);
        assertThat(rig.counters.get(TftpCounter.CLIENT_ERRORS)).isEqualTo(1);
        rig.ack(1);
        rig.advance(ONE_SECOND);
        assertThat(rig.drain()).isEmpty();
        assertThat(rig.endedCalls).isEqualTo(1);
    }

    @Test
    void dataOrRequestsFromTheClientAreIllegalOperations() {
        for (byte[] illegal : List.of(new byte[] {0, 3, 0, 1, 'x'}, TftpWire.rrq("f", "octet"),
                TftpWire.wrq("f", "octet"), new byte[] {0, 6}, new byte[] {0, 9})) {
            SessionRig rig = rig(SessionRig.request(A, A, A, A), file(2000)).open();
            rig.one();
            rig.receive(illegal);
            TftpWire.Message e = rig.one();
            assertThat(e.isError()).isTrue();
            assertThat(e.errorCode()).isEqualTo(4);
            assertThat(e.errorMessage()).isEqualTo("Illegal TFTP operation");
            assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.FAILED);
        }
    }

    @Test
    void fileThatCannotBeOpenedGetsItsError() {
        SessionRig rig = rig(SessionRig.request(A, A, A, A), file(10));
        rig.session.openFailed(TftpError.FILE_NOT_FOUND);
        TftpWire.Message e = rig.one();
        assertThat(e.errorCode()).isEqualTo(1);
        assertThat(e.errorMessage()).isEqualTo("File not found");
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.REFUSED);
    }

    @Test
    void readFailureEndsTheTransferWithAnError() {
        SessionRig rig = rig(SessionRig.request(A, A, A, A), file(500_000)).manualReads().open();
        rig.answerReads();
        // Acknowledge blocks until the session asks for more of the file.
        while (rig.reads.isEmpty()) {
            rig.ack(rig.one().block());
        }
        rig.drain();
        rig.reads.clear();
        rig.session.readFailed();
        TftpWire.Message e = rig.one();
        assertThat(e.errorCode()).isZero();
        assertThat(e.errorMessage()).isEqualTo("Read error");
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.FAILED);
        assertThat(rig.counters.get(TftpCounter.READ_ERRORS)).isEqualTo(1);
    }

    @Test
    void dataArrivingAfterTheEndIsReleased() {
        SessionRig rig = rig(SessionRig.request(A, A, A, A), file(5000)).manualReads().open();
        rig.session.abort();
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.ABORTED);
        ByteBuf late = Unpooled.buffer(100).writeZero(100);
        rig.session.bytesRead(late, false, rig.now);
        assertThat(late.refCnt()).isZero();
        assertThat(rig.drain()).isEmpty();
    }

    @Test
    void repeatedRequestGetsTheFirstAnswerAgain() {
        SessionRig plain = rig(SessionRig.request(A, A, A, A), file(2000)).open();
        assertThat(plain.one().block()).isEqualTo(1);
        assertThat(plain.session.atStart()).isTrue();
        plain.session.requestRepeated(plain.now);
        assertThat(plain.one().block()).isEqualTo(1);
        plain.ack(1);
        plain.one();
        assertThat(plain.session.atStart()).isFalse();

        SessionRig options = rig(SessionRig.request(A, 0, A, A), file(2000)).open();
        assertThat(options.one().isOack()).isTrue();
        options.session.requestRepeated(options.now);
        assertThat(options.one().isOack()).isTrue();
        options.ack(0);
        options.one();
        assertThat(options.session.atStart()).isFalse();
    }

    @Test
    void windowOfFourSendsFourBlocksPerAck() {
        byte[] f = file(512 * 10 + 100);
        SessionRig rig = rig(SessionRig.request(A, A, A, 4), f).open();
        assertThat(rig.one().options()).containsExactly(Map.entry("windowsize", "4"));
        rig.ack(0);
        assertThat(rig.drain()).extracting(TftpWire.Message::block).containsExactly(1, 2, 3, 4);
        rig.ack(4);
        assertThat(rig.drain()).extracting(TftpWire.Message::block).containsExactly(5, 6, 7, 8);
        rig.ack(8);
        List<TftpWire.Message> last = rig.drain();
        assertThat(last).extracting(TftpWire.Message::block).containsExactly(9, 10, 11);
        assertThat(last.get(2).data()).hasSize(100);
        rig.ack(11);
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.COMPLETED);
    }

    @Test
    void ackShortOfTheWindowResendsFromTheBlockAfterIt() {
        // RFC 7440 section 4: the client acknowledges the last block it got in order.
        SessionRig rig = rig(SessionRig.request(A, A, A, 4), file(512 * 20)).open();
        rig.one();
        rig.ack(0);
        assertThat(rig.drain()).extracting(TftpWire.Message::block).containsExactly(1, 2, 3, 4);
        rig.ack(2);
        assertThat(rig.drain()).extracting(TftpWire.Message::block).containsExactly(3, 4, 5, 6);
        assertThat(rig.counters.get(TftpCounter.DATA_RETRANSMITTED)).isEqualTo(2);
        // The client timed out having got nothing of the window: it repeats its last ACK.
        rig.ack(2);
        assertThat(rig.drain()).extracting(TftpWire.Message::block).containsExactly(3, 4, 5, 6);
        rig.advance(ONE_SECOND);
        assertThat(rig.drain()).extracting(TftpWire.Message::block).containsExactly(3, 4, 5, 6);
    }

    @Test
    void readAheadStaysWithinTheWindowAndItsReadAhead() {
        int blockSize = 512;
        int window = 4;
        // The window in flight and 64 KiB of read-ahead (the budget is larger than the window).
        int bound = window * blockSize + 65536;
        byte[] f = file(blockSize * 400 + 7);
        SessionRig rig = rig(SessionRig.request(blockSize, A, A, window), f).manualReads().open();
        rig.one();
        rig.ack(0);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        int expected = 1;
        while (rig.outcome == null) {
            assertThat(rig.session.bufferedBytes()).isLessThanOrEqualTo(bound);
            if (!rig.reads.isEmpty()) {
                assertThat(rig.reads.peek() + rig.session.bufferedBytes()).isLessThanOrEqualTo(bound);
            }
            rig.answerReads();
            assertThat(rig.session.bufferedBytes()).isLessThanOrEqualTo(bound);
            List<TftpWire.Message> sent = rig.drain();
            long lastBlock = -1;
            for (TftpWire.Message m : sent) {
                assertThat(m.block()).isEqualTo(expected++);
                got.writeBytes(m.data());
                lastBlock = m.block();
            }
            if (lastBlock >= 0) {
                rig.ack(lastBlock);
            }
        }
        assertThat(got.toByteArray()).isEqualTo(f);
        assertThat(rig.readSizes).allMatch(n -> n >= 65536 / 2 && n <= bound);
        assertThat(rig.readSizes.size()).as("reads of half the read-ahead at least").isLessThanOrEqualTo(8);
    }

    @Test
    void blockNumbersRollOverToZeroAfter65535() {
        // blksize 8: 65536 blocks and a short one make 524291 bytes.
        TransferParameters.Limits limits = new TransferParameters.Limits(1468, 65536, TimeUnit.SECONDS.toNanos(1));
        byte[] f = file(8 * 65537 + 3);
        SessionRig rig = rig(SessionRig.request(8, A, A, A), f, limits, 5).open();
        rig.one();
        rig.ack(0);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        long expected = 1;
        while (rig.outcome == null) {
            TftpWire.Message m = rig.one();
            assertThat(m.block()).isEqualTo((int) (expected & 0xffff));
            got.writeBytes(m.data());
            rig.ack(m.block());
            expected++;
        }
        assertThat(expected - 1).isEqualTo(65538);
        assertThat(got.toByteArray()).isEqualTo(f);
        assertThat(rig.outcome).isEqualTo(TftpSession.Outcome.COMPLETED);
    }

    @Test
    void firstReadFillsTheWindowAndTheReadAhead() {
        SessionRig rig = rig(SessionRig.request(1468, A, A, A), file(100_000)).manualReads().open();
        assertThat(rig.reads).containsExactly(1468 + 65536);
        SessionRig jumbo = rig(SessionRig.request(65464, A, A, A), file(100_000),
                new TransferParameters.Limits(65464, 65536, TimeUnit.SECONDS.toNanos(1)), 5).manualReads().open();
        assertThat(jumbo.reads).containsExactly(65464 + 65536);
    }
}
