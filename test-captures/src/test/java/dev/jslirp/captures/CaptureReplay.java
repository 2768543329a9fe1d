package dev.jslirp.captures;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.testkit.QueueSink;
import dev.jslirp.core.testkit.fuzz.ChecksumRepair;
import dev.jslirp.core.wire.Checksums;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Replays what a real guest sent in a capture (captures/README.md) through an assembled
 * network, in the capture's order, and keeps what jslirp answered, for a test to compare
 * with what libslirp answered in the same capture.
 *
 * <p>Each guest frame waits (up to a bound) until jslirp has sent as many frames as
 * libslirp had before it (router advertisements aside), so a guest's answer follows
 * what it answers. What the two
 * networks choose differently is translated in the guest's frames before they are sent:
 * the remote ports (a host server of the test listens where it can, not where the
 * recording's did; {@link #mapPort}), and TCP acknowledgment numbers, which count from
 * jslirp's initial sequence number instead of libslirp's, per flow. Checksums are then
 * made valid again.
 *
 * <p>On failure, {@link #writeActual} puts jslirp's frames in target/replay/ for Wireshark.
 */
final class CaptureReplay implements AutoCloseable {
    static final byte[] GUEST_MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    private static final long GATE_MILLIS = 5000;
    private static final long QUIET_MILLIS = 500;

    private final String name;
    private final List<byte[]> capture = new ArrayList<>();
    private final JslirpNetwork net;
    private final QueueSink sink = new QueueSink();
    private final List<byte[]> answers = new ArrayList<>();
    /** Remote port in the capture to the port the replay's peer uses. */
    private final Map<Integer, Integer> ports = new HashMap<>();
    /** By guest port: the network's ISN in the capture, and in the replay. */
    private final Map<Integer, Integer> capturedIss = new HashMap<>();
    private final Map<Integer, Integer> replayIss = new HashMap<>();
    /** By guest port: the remote port of a connection the network opened (a forward), in the capture and in the replay. */
    private final Map<Integer, Integer> capturedRemote = new HashMap<>();
    private final Map<Integer, Integer> replayRemote = new HashMap<>();

    CaptureReplay(String name, JslirpNetwork.Builder network) {
        this.name = name;
        try (InputStream in = getClass().getResourceAsStream("/captures/" + name + ".pcap")) {
            if (in == null) {
                throw new IllegalArgumentException("no capture " + name);
            }
            for (PcapFile.Frame f : PcapFile.read(in)) {
                capture.add(f.data());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (byte[] f : capture) {
            if (!fromGuest(f)) {
                learnSyn(f, capturedIss, capturedRemote);
            }
        }
        this.net = network.build();
        net.attach(sink);
    }

    /** The capture's frames from the guest. */
    List<byte[]> guestFrames() {
        return capture.stream().filter(CaptureReplay::fromGuest).toList();
    }

    /** The capture's frames from libslirp, in order. */
    List<byte[]> libslirpFrames() {
        return capture.stream().filter(f -> !fromGuest(f)).toList();
    }

    /** The network under replay. */
    JslirpNetwork network() {
        return net;
    }

    /** Guest frames to remote port {@code captured} go to {@code replay} instead (and the checks map back). */
    CaptureReplay mapPort(int captured, int replay) {
        ports.put(captured, replay);
        return this;
    }

    /** Replays every guest frame. */
    List<byte[]> replay() {
        return replay(f -> true);
    }

    /** Replays the guest frames {@code which} takes, and returns every frame jslirp sent. */
    List<byte[]> replay(Predicate<byte[]> which) {
        int libslirpBefore = 0;
        for (byte[] f : capture) {
            if (!fromGuest(f)) {
                if (!isRouterAdvertisement(f)) {
                    libslirpBefore++;
                }
                continue;
            }
            if (!which.test(f)) {
                continue;
            }
            collectUntil(libslirpBefore);
            ByteBuf b = Unpooled.copiedBuffer(f);
            translate(b);
            net.receiveFromGuest(b);
        }
        collectUntil(Integer.MAX_VALUE);
        return answers;
    }

    /**
     * Takes jslirp's frames until it sent {@code count} (at most {@link #GATE_MILLIS}), or,
     * for the last call, until it sent nothing for {@link #QUIET_MILLIS}.
     */
    private void collectUntil(int count) {
        boolean last = count == Integer.MAX_VALUE;
        long end = System.currentTimeMillis() + (last ? QUIET_MILLIS : GATE_MILLIS);
        while (answers.size() < count) {
            long left = end - System.currentTimeMillis();
            if (left <= 0) {
                return;
            }
            ByteBuf f = sink.poll(left);
            if (f == null) {
                continue;
            }
            byte[] b = ByteBufUtil.getBytes(f);
            f.release();
            answers.add(b);
            learnSyn(b, replayIss, replayRemote);
            if (last) {
                end = System.currentTimeMillis() + QUIET_MILLIS;
            }
        }
    }

    /**
     * jslirp sends no router advertisements yet (its autoconfiguration service is not on
     * this branch): the frames a guest frame waits for do not count libslirp's.
     */
    private static boolean isRouterAdvertisement(byte[] f) {
        return f.length > 54 && (f[12] & 0xff) == 0x86 && (f[13] & 0xff) == 0xdd && (f[20] & 0xff) == 58
                && (f[54] & 0xff) == 134;
    }

    private void translate(ByteBuf f) {
        int ip = 14;
        if (f.readableBytes() < ip + 20 || f.getUnsignedShort(12) != 0x0800) {
            return;
        }
        int ihl = (f.getUnsignedByte(ip) & 0x0f) * 4;
        int proto = f.getUnsignedByte(ip + 9);
        boolean firstFragment = (f.getUnsignedShort(ip + 6) & 0x1fff) == 0;
        boolean fragment = (f.getUnsignedShort(ip + 6) & 0x3fff) != 0;
        int l4 = ip + ihl;
        if (!firstFragment || (proto != 6 && proto != 17)) {
            return;
        }
        int guestPort = f.getUnsignedShort(l4);
        int remote = f.getUnsignedShort(l4 + 2);
        Integer mapped = ports.get(remote);
        if (mapped == null && proto == 6 && remote == capturedRemote.getOrDefault(guestPort, -1)) {
            mapped = replayRemote.get(guestPort);
        }
        int checksumAt = l4 + (proto == 6 ? 16 : 6);
        if (mapped != null && mapped != remote) {
            f.setShort(l4 + 2, mapped);
            if (fragment) {     // the checksum covers the whole datagram: RFC 1624's update
                f.setShort(checksumAt, Checksums.update16(f.getUnsignedShort(checksumAt), remote, mapped));
            }
        }
        if (proto == 6 && (f.getUnsignedByte(l4 + 13) & 0x10) != 0) {
            Integer from = capturedIss.get(guestPort);
            Integer to = replayIss.get(guestPort);
            if (from != null && to != null) {
                f.setInt(l4 + 8, f.getInt(l4 + 8) - from + to);
            }
        }
        if (!fragment) {
            ChecksumRepair.repair(f);
        }
    }

    /** Notes the ISN and remote port of a SYN the network sent (SYN-ACK or SYN), by guest port. */
    private static void learnSyn(byte[] f, Map<Integer, Integer> iss, Map<Integer, Integer> remote) {
        Tcp t = Tcp.of(f);
        if (t != null && (t.flags() & Tcp.SYN) != 0) {
            iss.put(t.dstPort(), t.seq());
            if ((t.flags() & Tcp.ACK) == 0) {
                remote.put(t.dstPort(), t.srcPort());
            }
        }
    }

    static boolean fromGuest(byte[] f) {
        for (int i = 0; i < 6; i++) {
            if (f[6 + i] != GUEST_MAC[i]) {
                return false;
            }
        }
        return true;
    }

    /** Writes jslirp's frames to target/replay/NAME-actual.pcap and returns the path. */
    Path writeActual() {
        Path out = Paths.get("target", "replay", name + "-actual.pcap");
        try {
            PcapFile.write(out, answers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toAbsolutePath();
    }

    /** Runs {@code check}; on failure adds where jslirp's frames were written. */
    void verify(Runnable check) {
        try {
            check.run();
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n(jslirp's frames written to " + writeActual() + ")", e);
        }
    }

    @Override
    public void close() {
        net.close();
        sink.releaseAll();
    }

    /** The fields of an unfragmented IPv4 TCP segment the checks compare. */
    record Tcp(int srcPort, int dstPort, int seq, int ack, int flags, byte[] payload, int mss) {
        static final int FIN = 0x01;
        static final int SYN = 0x02;
        static final int RST = 0x04;
        static final int ACK = 0x10;

        /** The segment in {@code f}, or null if it is not IPv4 TCP. */
        static Tcp of(byte[] f) {
            if (f.length < 54 || ((f[12] & 0xff) << 8 | (f[13] & 0xff)) != 0x0800 || (f[23] & 0xff) != 6) {
                return null;
            }
            ByteBuf b = Unpooled.wrappedBuffer(f);
            int ihl = (b.getUnsignedByte(14) & 0x0f) * 4;
            int total = b.getUnsignedShort(16);
            int l4 = 14 + ihl;
            int hl = (b.getUnsignedByte(l4 + 12) >>> 4) * 4;
            int mss = -1;
            for (int o = l4 + 20; o < l4 + hl; ) {
                int kind = b.getUnsignedByte(o);
                if (kind == 0) {
                    break;
                }
                if (kind == 1) {
                    o++;
                    continue;
                }
                if (kind == 2) {
                    mss = b.getUnsignedShort(o + 2);
                }
                o += Math.max(2, b.getUnsignedByte(o + 1));
            }
            byte[] payload = new byte[14 + total - l4 - hl];
            b.getBytes(l4 + hl, payload);
            return new Tcp(b.getUnsignedShort(l4), b.getUnsignedShort(l4 + 2), b.getInt(l4 + 4), b.getInt(l4 + 8),
                    b.getUnsignedByte(l4 + 13), payload, mss);
        }
    }
}
