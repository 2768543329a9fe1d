package dev.jslirp.tftp;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jslirp.core.testkit.fuzz.BugLog;
import dev.jslirp.core.testkit.fuzz.FrameScript;
import dev.jslirp.core.testkit.fuzz.TrackingAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the TFTP server (requests with options, ACKs, errors, from several clients and
 * ports, with time passing so transfers retransmit and give up) on its sans-IO core with
 * files in memory. Each script frame is one datagram: its first byte picks the client
 * and its port, its second the server port (69 or one a transfer answers from), the
 * rest is the TFTP message. Checks: what the server sends decodes as DATA, ERROR or
 * OACK ({@link TftpWire#decode}); transfers stay within the configured bounds; no
 * buffer is held once the server aborted everything; no bug was logged.
 */
class TftpFuzzTest {
    private static final int MAX_SESSIONS = 6;

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10m")
    void datagramsFromClients(byte[] script) {
        BugLog.install();
        BugLog.assertNone("before the input ran");
        TrackingAllocator alloc = new TrackingAllocator();
        TftpConfig config = TftpConfig.builder().root(System.getProperty("java.io.tmpdir")).maxSessions(MAX_SESSIONS)
                .maxSessionsPerGuest(3).retransmitTimeout(Duration.ofSeconds(1)).maxRetransmissions(2).build();
        List<Integer> serverPorts = new ArrayList<>();
        try (ServerRig rig = new ServerRig(config, alloc)) {
            byte[] big = new byte[5000];
            rig.files.put("boot.bin", "kernel".getBytes()).put("big.bin", big).put("empty", new byte[0]);
            FrameScript.run(script, new FrameScript.Target() {
                @Override
                public void frame(byte[] d, boolean repaired) {
                    if (d.length < 2) {
                        return;
                    }
                    String peer = "client" + (d[0] & 3);
                    int peerPort = 1000 + ((d[0] >> 2) & 3);
                    int pick = d[1] & 0xff;
                    int port = pick == 0 || serverPorts.isEmpty() ? 69 : serverPorts.get(pick % serverPorts.size());
                    byte[] message = java.util.Arrays.copyOfRange(d, 2, d.length);
                    rig.deliver(peer, peerPort, port, message);
                    settle("after a datagram");
                }

                @Override
                public void advance(Duration t) {
                    rig.advance(t);
                    settle("after time passed");
                }

                @Override
                public void action(int arg) {
                    rig.files.run();
                    settle("after the files answered");
                }

                private void settle(String when) {
                    for (ServerRig.Sent s : rig.drain()) {
                        if (!serverPorts.contains(s.fromPort()) && s.fromPort() != 69) {
                            serverPorts.add(s.fromPort());
                        }
                    }
                    if (rig.server.sessionCount() > MAX_SESSIONS) {
                        throw new AssertionError(rig.server.sessionCount() + " sessions " + when);
                    }
                    BugLog.assertNone(when);
                }
            });
        }
        alloc.assertAllReleased("once every transfer was aborted");
    }

    static Stream<Arguments> seeds() {
        return Stream.of(
                seed("read request", FrameScript.builder().frame(dgram(0, 0, TftpWire.rrq("boot.bin", "octet")))),
                seed("read with every option, acked to the end", FrameScript.builder()
                        .frame(dgram(0, 0, TftpWire.rrq("big.bin", "octet", "blksize", "1024", "tsize", "0",
                                "timeout", "2", "windowsize", "2")))
                        .frame(dgram(0, 1, TftpWire.ack(0))).frame(dgram(0, 1, TftpWire.ack(2)))
                        .frame(dgram(0, 1, TftpWire.ack(4))).frame(dgram(0, 1, TftpWire.ack(5)))),
                seed("netascii read", FrameScript.builder().frame(dgram(1, 0, TftpWire.rrq("boot.bin", "netascii")))),
                seed("write request", FrameScript.builder().frame(dgram(0, 0, TftpWire.wrq("new.bin", "octet")))),
                seed("missing file", FrameScript.builder().frame(dgram(0, 0, TftpWire.rrq("nothere", "octet")))),
                seed("a name with ..", FrameScript.builder().frame(dgram(0, 0, TftpWire.rrq("../etc/passwd",
                        "octet")))),
                seed("transfer left to time out", FrameScript.builder()
                        .frame(dgram(2, 0, TftpWire.rrq("big.bin", "octet"))).advance(15).advance(15).advance(15)),
                seed("client error mid-transfer", FrameScript.builder()
                        .frame(dgram(0, 0, TftpWire.rrq("big.bin", "octet")))
                        .frame(dgram(0, 1, TftpWire.error(0, "stop")))),
                seed("ack from a stranger", FrameScript.builder()
                        .frame(dgram(0, 0, TftpWire.rrq("big.bin", "octet"))).frame(dgram(3, 1, TftpWire.ack(1)))),
                seed("many clients", manyClients()));
    }

    private static FrameScript.Builder manyClients() {
        FrameScript.Builder b = FrameScript.builder();
        for (int i = 0; i < 16; i++) {
            b.frame(dgram(i, 0, TftpWire.rrq("big.bin", "octet")));
        }
        return b;
    }

    private static byte[] dgram(int client, int port, byte[] message) {
        byte[] d = new byte[message.length + 2];
        d[0] = (byte) client;
        d[1] = (byte) port;
        System.arraycopy(message, 0, d, 2, message.length);
        return d;
    }

    private static Arguments seed(String name, FrameScript.Builder script) {
        return Arguments.of(Named.of(name, script.build()));
    }
}
