package dev.jslirp.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TftpServerTest {
    static final String GUEST = "10.0.2.15";
    static final String OTHER_GUEST = "10.0.2.16";
    static final int CLIENT_PORT = 40000;
    static final int TFTP = 69;

    static byte[] content(int n) {
        return TftpSessionTest.file(n);
    }

    @Test
    void requestIsServedFromAFreshPortAndTheSessionEndsWithTheTransfer() {
        try (ServerRig rig = new ServerRig()) {
            byte[] f = content(700);
            rig.files.put("boot/kernel", f);
            assertThat(rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("/boot/kernel", "octet"))).isTrue();
            ServerRig.Sent d1 = rig.one();
            int tid = d1.fromPort();
            assertThat(tid).isBetween(TftpServer.FIRST_PORT, 65535);
            assertThat(d1.peer()).isEqualTo(GUEST);
            assertThat(d1.peerPort()).isEqualTo(CLIENT_PORT);
            assertThat(d1.message().block()).isEqualTo(1);
            assertThat(rig.files.opened).containsExactly("boot/kernel");
            assertThat(rig.deliver(GUEST, CLIENT_PORT, tid, TftpWire.ack(1))).isTrue();
            ServerRig.Sent d2 = rig.one();
            assertThat(d2.fromPort()).isEqualTo(tid);
            assertThat(d2.message().data()).hasSize(700 - 512);
            assertThat(rig.deliver(GUEST, CLIENT_PORT, tid, TftpWire.ack(2))).isTrue();
            assertThat(rig.server.sessionCount()).isZero();
            assertThat(rig.files.openSources).isZero();
            // The port is nobody's now: its datagrams go elsewhere.
            assertThat(rig.deliver(GUEST, CLIENT_PORT, tid, TftpWire.ack(2))).isFalse();
            assertThat(rig.counters.get(TftpCounter.SESSIONS_STARTED)).isEqualTo(1);
            assertThat(rig.counters.get(TftpCounter.TRANSFERS_COMPLETED)).isEqualTo(1);
        }
    }

    @Test
    void datagramsToOtherPortsAreLeftToOthers() {
        try (ServerRig rig = new ServerRig()) {
            assertThat(rig.deliver(GUEST, CLIENT_PORT, 5000, TftpWire.ack(1))).isFalse();
            assertThat(rig.deliver(GUEST, CLIENT_PORT, TftpServer.FIRST_PORT, TftpWire.rrq("f", "octet"))).isFalse();
            assertThat(rig.drain()).isEmpty();
            assertThat(rig.counters.total()).isZero();
        }
    }

    @Test
    void writeRequestIsAnAccessViolation() {
        try (ServerRig rig = new ServerRig()) {
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.wrq("upload", "octet"));
            ServerRig.Sent e = rig.one();
            assertThat(e.message().errorCode()).isEqualTo(2);
            assertThat(e.message().errorMessage()).isEqualTo("Access violation");
            assertThat(e.fromPort()).isNotEqualTo(TFTP);
            assertThat(rig.server.sessionCount()).isZero();
            assertThat(rig.files.opened).isEmpty();
            assertThat(rig.counters.get(TftpCounter.WRITE_REQUESTS_REFUSED)).isEqualTo(1);
        }
    }

    @Test
    void missingFileIsFileNotFound() {
        try (ServerRig rig = new ServerRig()) {
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("nothing.here", "octet"));
            ServerRig.Sent e = rig.one();
            assertThat(e.message().errorCode()).isEqualTo(1);
            assertThat(e.message().errorMessage()).isEqualTo("File not found");
            assertThat(rig.server.sessionCount()).isZero();
            assertThat(rig.counters.get(TftpCounter.FILE_NOT_FOUND)).isEqualTo(1);
        }
    }

    @Test
    void unreadableFileIsAnAccessViolation() {
        try (ServerRig rig = new ServerRig()) {
            rig.files.refuse("secret", TftpError.ACCESS_VIOLATION);
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("secret", "octet"));
            assertThat(rig.one().message().errorCode()).isEqualTo(2);
            assertThat(rig.counters.get(TftpCounter.ACCESS_VIOLATIONS)).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"../secret", "a/../../secret", "..", "dir/", ""})
    void escapesAreAccessViolationsAndNoFileIsOpened(String name) {
        try (ServerRig rig = new ServerRig()) {
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq(name, "octet"));
            TftpWire.Message e = rig.one().message();
            assertThat(e.errorCode()).isEqualTo(2);
            assertThat(e.errorMessage()).isEqualTo("Access violation");
            assertThat(rig.files.opened).isEmpty();
            assertThat(rig.counters.get(TftpCounter.ACCESS_VIOLATIONS)).isEqualTo(1);
        }
    }

    @Test
    void malformedRequestsGetErrorFourAndAreCounted() {
        try (ServerRig rig = new ServerRig()) {
            rig.deliver(GUEST, CLIENT_PORT, TFTP, new byte[] {0, 1, 'f', 0});
            TftpWire.Message e = rig.one().message();
            assertThat(e.errorCode()).isEqualTo(4);
            assertThat(e.errorMessage()).isEqualTo("Illegal TFTP operation");
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("f", "mail"));
            e = rig.one().message();
            assertThat(e.errorCode()).isEqualTo(4);
            assertThat(e.errorMessage()).isEqualTo("Unsupported transfer mode");
            rig.deliver(GUEST, CLIENT_PORT, TFTP, new byte[] {0, 1, 'f', 0, 'o', 'c', 't', 'e', 't', 0, 'x', 0});
            assertThat(rig.one().message().errorCode()).isEqualTo(4);
            assertThat(rig.counters.get(TftpCounter.MALFORMED_REQUESTS)).isEqualTo(2);
            assertThat(rig.counters.get(TftpCounter.UNSUPPORTED_MODE)).isEqualTo(1);
            assertThat(rig.counters.get(TftpCounter.READ_REQUESTS)).isEqualTo(3);
            assertThat(rig.server.sessionCount()).isZero();
        }
    }

    @Test
    void datagramsToPort69ThatCannotBeAnsweredAreDroppedAndCounted() {
        try (ServerRig rig = new ServerRig()) {
            rig.files.put("f", content(10));
            assertThat(rig.deliver(GUEST, CLIENT_PORT, TFTP, new byte[0])).isTrue();
            assertThat(rig.deliver(GUEST, CLIENT_PORT, TFTP, new byte[] {0})).isTrue();
            assertThat(rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.error(0, "x"))).isTrue();
            assertThat(rig.deliver(GUEST, 0, TFTP, TftpWire.rrq("f", "octet"))).isTrue();
            assertThat(rig.drain()).isEmpty();
            assertThat(rig.counters.get(TftpCounter.MALFORMED_DROPPED)).isEqualTo(4);
            assertThat(rig.server.sessionCount()).isZero();
        }
    }

    @Test
    void otherOpcodesToPort69AreAnsweredWithAnError() {
        try (ServerRig rig = new ServerRig()) {
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.ack(1));
            assertThat(rig.one().message().errorCode()).isEqualTo(5);
            rig.deliver(GUEST, CLIENT_PORT, TFTP, new byte[] {0, 42});
            assertThat(rig.one().message().errorCode()).isEqualTo(4);
            assertThat(rig.counters.get(TftpCounter.NOT_A_REQUEST)).isEqualTo(2);
        }
    }

    @Test
    void messageToASessionPortFromAnotherClientGetsErrorFiveAndTheTransferGoesOn() {
        try (ServerRig rig = new ServerRig()) {
            rig.files.put("f", content(2000));
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("f", "octet"));
            int tid = rig.one().fromPort();
            assertThat(rig.deliver(GUEST, CLIENT_PORT + 1, tid, TftpWire.ack(1))).isTrue();
            ServerRig.Sent e = rig.one();
            assertThat(e.message().errorCode()).isEqualTo(5);
            assertThat(e.message().errorMessage()).isEqualTo("Unknown transfer ID");
            assertThat(e.fromPort()).isEqualTo(tid);
            assertThat(e.peerPort()).isEqualTo(CLIENT_PORT + 1);
            assertThat(rig.deliver(OTHER_GUEST, CLIENT_PORT, tid, TftpWire.ack(1))).isTrue();
            assertThat(rig.one().peer()).isEqualTo(OTHER_GUEST);
            // An ERROR from the wrong port is not answered, and does not end the session either.
            rig.deliver(GUEST, CLIENT_PORT + 1, tid, TftpWire.error(0, "x"));
            assertThat(rig.drain()).isEmpty();
            assertThat(rig.counters.get(TftpCounter.UNKNOWN_TRANSFER_ID)).isEqualTo(3);
            rig.deliver(GUEST, CLIENT_PORT, tid, TftpWire.ack(1));
            assertThat(rig.one().message().block()).isEqualTo(2);
        }
    }

    @Test
    void truncatedMessagesToASessionAreDropped() {
        try (ServerRig rig = new ServerRig()) {
            rig.files.put("f", content(2000));
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("f", "octet"));
            int tid = rig.one().fromPort();
            rig.deliver(GUEST, CLIENT_PORT, tid, new byte[] {0});
            rig.deliver(GUEST, CLIENT_PORT, tid, new byte[] {0, 4, 0});
            assertThat(rig.drain()).isEmpty();
            assertThat(rig.counters.get(TftpCounter.MALFORMED_MESSAGES)).isEqualTo(2);
            assertThat(rig.server.sessionCount()).isEqualTo(1);
        }
    }

    @Test
    void repeatedRequestIsAnsweredAgainFromTheSameSession() {
        try (ServerRig rig = new ServerRig()) {
            rig.files.put("f", content(2000));
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("f", "octet", "tsize", "0"));
            ServerRig.Sent oack = rig.one();
            assertThat(oack.message().isOack()).isTrue();
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("f", "octet", "tsize", "0"));
            ServerRig.Sent again = rig.one();
            assertThat(again.message().isOack()).isTrue();
            assertThat(again.fromPort()).isEqualTo(oack.fromPort());
            assertThat(rig.server.sessionCount()).isEqualTo(1);
            assertThat(rig.counters.get(TftpCounter.REPEATED_REQUESTS)).isEqualTo(1);
            assertThat(rig.files.opened).hasSize(1);
        }
    }

    @Test
    void newRequestFromTheSamePortReplacesTheSession() {
        try (ServerRig rig = new ServerRig()) {
            rig.files.put("f", content(2000)).put("g", content(100));
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("f", "octet"));
            int first = rig.one().fromPort();
            rig.deliver(GUEST, CLIENT_PORT, first, TftpWire.ack(1));
            rig.one();
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("g", "octet"));
            ServerRig.Sent d = rig.one();
            assertThat(d.fromPort()).isNotEqualTo(first);
            assertThat(d.message().data()).hasSize(100);
            assertThat(rig.server.sessionCount()).isEqualTo(1);
            assertThat(rig.files.openSources).isEqualTo(1);
            assertThat(rig.counters.get(TftpCounter.ABORTED)).isEqualTo(1);
        }
    }

    @Test
    void sessionsAreBoundedPerGuestAndInTotal() {
        TftpConfig config = TftpConfig.builder().root(System.getProperty("java.io.tmpdir"))
                .maxSessions(3).maxSessionsPerGuest(2).build();
        try (ServerRig rig = new ServerRig(config)) {
            rig.files.put("f", content(5000));
            for (int i = 0; i < 3; i++) {
                rig.deliver(GUEST, CLIENT_PORT + i, TFTP, TftpWire.rrq("f", "octet"));
            }
            List<ServerRig.Sent> s = rig.drain();
            assertThat(s).extracting(x -> x.message().isData()).containsExactly(true, true, false);
            assertThat(s.get(2).message().errorCode()).isZero();
            assertThat(s.get(2).message().errorMessage()).isEqualTo("Too many transfers");
            rig.deliver(OTHER_GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("f", "octet"));
            assertThat(rig.one().message().isData()).isTrue();
            rig.deliver(OTHER_GUEST, CLIENT_PORT + 1, TFTP, TftpWire.rrq("f", "octet"));
            assertThat(rig.one().message().errorMessage()).isEqualTo("Too many transfers");
            assertThat(rig.server.sessionCount()).isEqualTo(3);
            assertThat(rig.counters.get(TftpCounter.SESSION_LIMIT)).isEqualTo(2);
            // A finished session frees its slot for the guest.
            for (int i = 0; i < 6; i++) {
                rig.advance(Duration.ofSeconds(1));
            }
            assertThat(rig.server.sessionCount()).isZero();
            rig.drain();
            rig.deliver(GUEST, CLIENT_PORT + 9, TFTP, TftpWire.rrq("f", "octet"));
            assertThat(rig.one().message().isData()).isTrue();
        }
    }

    @Test
    void floodOfRequestsHoldsNoMoreThanTheLimits() {
        try (ServerRig rig = new ServerRig()) {
            rig.files.put("f", content(100_000));
            Set<Integer> ports = new HashSet<>();
            for (int i = 0; i < 20_000; i++) {
                String guest = "10.0.2." + (15 + i % 7);
                rig.deliver(guest, 1024 + i, TFTP, TftpWire.rrq("f", "octet", "blksize", "65535", "windowsize",
                        "65535"));
                for (ServerRig.Sent s : rig.drain()) {
                    if (s.message().isOack()) {
                        ports.add(s.fromPort());
                    }
                }
                assertThat(rig.server.sessionCount()).isLessThanOrEqualTo(64);
            }
            assertThat(rig.server.sessionCount()).isEqualTo(64);
            assertThat(ports).hasSize(64);
            assertThat(ports).allMatch(p -> p >= TftpServer.FIRST_PORT && p <= 65535);
            // Each session holds at most its window and 64 KiB of read-ahead.
            assertThat(rig.server.sessions()).allMatch(s -> s.bufferedBytes() <= 44 * 1468 + 65536);
            assertThat(rig.counters.get(TftpCounter.SESSION_LIMIT)).isEqualTo(20_000 - 64);
        }
    }

    @Test
    void everyTruncationAndBitFlipOfARealRequestIsAnsweredOrDroppedAndCounted() {
        byte[] real = io.netty.buffer.ByteBufUtil.decodeHexDump(ReadRequestTest.BUSYBOX_RRQ);
        List<byte[]> variants = new java.util.ArrayList<>();
        for (int n = 0; n < real.length; n++) {
            variants.add(java.util.Arrays.copyOf(real, n));
        }
        for (int bit = 0; bit < real.length * 8; bit++) {
            byte[] v = real.clone();
            v[bit / 8] ^= (byte) (1 << (bit % 8));
            variants.add(v);
        }
        try (ServerRig rig = new ServerRig()) {
            rig.files.put("hello.txt", content(3000));
            int port = 1024;
            for (byte[] v : variants) {
                // A port of its own each, so no variant repeats or replaces another's session.
                assertThat(rig.deliver(GUEST, port++, TFTP, v)).isTrue();
                for (ServerRig.Sent sent : rig.drain()) {
                    assertThat(sent.fromPort()).isNotEqualTo(TFTP);
                }
                rig.server.abortAll();
            }
            long accounted = rig.counters.get(TftpCounter.READ_REQUESTS)
                    + rig.counters.get(TftpCounter.WRITE_REQUESTS_REFUSED)
                    + rig.counters.get(TftpCounter.MALFORMED_DROPPED)
                    + rig.counters.get(TftpCounter.NOT_A_REQUEST);
            assertThat(accounted).isEqualTo(variants.size());
            assertThat(rig.files.openSources).isZero();
        }
    }

    @Test
    void timeoutsRetransmitFromTheSessionPort() {
        try (ServerRig rig = new ServerRig()) {
            rig.files.put("f", content(2000));
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("f", "octet"));
            int tid = rig.one().fromPort();
            rig.advance(Duration.ofMillis(1001));
            ServerRig.Sent again = rig.one();
            assertThat(again.fromPort()).isEqualTo(tid);
            assertThat(again.message().block()).isEqualTo(1);
        }
    }

    @Test
    void fileOpenedAfterTheSessionEndedIsClosed() {
        try (ServerRig rig = new ServerRig()) {
            rig.files.put("f", content(2000));
            byte[] rrq = TftpWire.rrq("f", "octet");
            io.netty.buffer.ByteBuf b = TftpWire.buf(rrq);
            try {
                rig.server.receive(GUEST, CLIENT_PORT, TFTP, b, 0, rrq.length, rig.now);
            } finally {
                b.release();
            }
            rig.server.abortAll();
            assertThat(rig.server.sessionCount()).isZero();
            rig.files.run();
            assertThat(rig.files.openSources).isZero();
            assertThat(rig.drain()).isEmpty();
        }
    }

    @Test
    void abortAllEndsEverySessionAndClosesItsFile() {
        try (ServerRig rig = new ServerRig()) {
            rig.files.put("f", content(5000));
            rig.deliver(GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("f", "octet"));
            rig.deliver(OTHER_GUEST, CLIENT_PORT, TFTP, TftpWire.rrq("f", "octet"));
            assertThat(rig.files.openSources).isEqualTo(2);
            rig.server.abortAll();
            assertThat(rig.server.sessionCount()).isZero();
            assertThat(rig.files.openSources).isZero();
            assertThat(rig.counters.get(TftpCounter.ABORTED)).isEqualTo(2);
        }
    }
}
