package dev.jslirp.nat.tcp;

import dev.jslirp.core.wire.IpAddress;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.TcpOptions;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.core.buffer.MemoryBudget;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The small parts: flow table, send buffer, SACK scoreboard, RTO estimator, window shift. */
class TcpStructuresTest {
    /** A network and a TCP core for the flows the table tests make (no host, no timers: nothing runs). */
    private static VirtualGuest guest;
    private static TcpStack stack;

    @BeforeAll
    static void core() {
        guest = VirtualGuest.embedded();
        stack = new TcpStack(guest.network(), NatConfig.defaults(), null, null, null);
    }

    @AfterAll
    static void closeCore() {
        guest.close();
    }

    private static TcpFlow flow(int guestPort, int remoteIp, int remotePort) {
        return new TcpFlow(stack, IpAddress.parse("10.0.2.15"), guestPort, IpAddress.ipv4(remoteIp), remotePort, false,
                TcpState.ESTABLISHED, 0);
    }

    @Test
    void flowTableMatchesAHashMapUnderRandomChurn() {
        TcpFlowTable t = new TcpFlowTable(5000);
        Map<String, TcpFlow> model = new HashMap<>();
        List<TcpFlow> live = new ArrayList<>();
        Random rnd = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            if (live.isEmpty() || (rnd.nextInt(3) != 0 && !t.isFull())) {
                int port = rnd.nextInt(200);
                int ip = 0x5db8d800 + rnd.nextInt(8);
                String key = port + "/" + ip;
                if (!model.containsKey(key)) {
                    TcpFlow f = flow(40000 + port, ip, 443);
                    t.put(f);
                    model.put(key, f);
                    live.add(f);
                }
            } else {
                TcpFlow f = live.remove(rnd.nextInt(live.size()));
                assertThat(t.remove(f)).isTrue();
                model.remove((f.guestPort - 40000) + "/" + f.remote.ipv4());
            }
            if (i % 1000 == 0) {
                for (TcpFlow f : live) {
                    assertThat(get(t, f)).isSameAs(f);
                }
            }
        }
        assertThat(t.size()).isEqualTo(model.size());
        for (TcpFlow f : live) {
            assertThat(get(t, f)).isSameAs(f);
        }
        assertThat(t.get(0, IpAddress.ipv4Lo(0x0a00020f), 1, 0, IpAddress.ipv4Lo(2), 3)).isNull();
    }

    private static TcpFlow get(TcpFlowTable t, TcpFlow f) {
        return t.get(f.guest.hi(), f.guest.lo(), f.guestPort, f.remote.hi(), f.remote.lo(), f.remotePort);
    }

    @Test
    void flowTableIsBounded() {
        TcpFlowTable t = new TcpFlowTable(3);
        for (int i = 0; i < 3; i++) {
            t.put(flow(1000 + i, 1, 80));
        }
        assertThat(t.isFull()).isTrue();
        assertThatThrownBy(() -> t.put(flow(2000, 1, 80))).isInstanceOf(IllegalStateException.class);
        assertThat(t.remove(flow(1000, 1, 80))).as("another object with the same tuple").isFalse();
    }

    @Test
    void sendBufferCopiesAcrossBuffersAndReleasesAckedOnes() {
        SendBuffer b = new SendBuffer(new MemoryBudget(MemoryBudget.MIN_LIMIT).newAccount());
        List<ByteBuf> bufs = new ArrayList<>();
        byte[] all = new byte[10_000];
        new Random(3).nextBytes(all);
        int off = 0;
        Random rnd = new Random(4);
        while (off < all.length) {
            int n = Math.min(all.length - off, 1 + rnd.nextInt(700));
            ByteBuf x = Unpooled.buffer(n + 100).writeBytes(all, off, n);
            bufs.add(x);
            b.add(x);
            off += n;
        }
        assertThat(b.bytes()).isEqualTo(10_000);
        ByteBuf dst = Unpooled.buffer(2000);
        int acked = 0;
        while (acked < all.length) {
            int n = Math.min(1448, all.length - acked);
            b.copyTo(0, dst, 0, n);
            for (int i = 0; i < n; i++) {
                assertThat(dst.getByte(i)).isEqualTo(all[acked + i]);
            }
            if (n > 100) {
                b.copyTo(100, dst, 0, n - 100);
                assertThat(dst.getByte(0)).isEqualTo(all[acked + 100]);
            }
            b.ack(n);
            acked += n;
        }
        assertThat(b.bytes()).isZero();
        assertThat(b.capacityHeld()).isZero();
        for (ByteBuf x : bufs) {
            assertThat(x.refCnt()).isZero();
        }
        dst.release();
    }

    @Test
    void sendBufferGrowsItsRingAndClearReleases() {
        SendBuffer b = new SendBuffer(new MemoryBudget(MemoryBudget.MIN_LIMIT).newAccount());
        List<ByteBuf> bufs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ByteBuf x = Unpooled.buffer(4).writeInt(i);
            bufs.add(x);
            b.add(x);
        }
        b.ack(6);
        ByteBuf dst = Unpooled.buffer(8);
        b.copyTo(0, dst, 0, 6);
        assertThat(dst.getShort(0)).isEqualTo((short) 1);      // low half of int 1
        assertThat(dst.getInt(2)).isEqualTo(2);
        b.clear();
        assertThat(bufs).allSatisfy(x -> assertThat(x.refCnt()).isZero());
        dst.release();
        ByteBuf empty = Unpooled.buffer(4);
        b.add(empty);
        assertThat(empty.refCnt()).as("empty buffers are released at once").isZero();
    }

    @Test
    void scoreboardMergesValidBlocksAndIgnoresOthers() {
        SackScoreboard s = new SackScoreboard();
        TcpOptions o = new TcpOptions().clear();
        o.sackBlocks = 4;
        int una = -100;                       // wraps through zero
        int[][] blocks = {{200, 300}, {300, 400}, {-200, -150}, {500, 9000}};
        for (int i = 0; i < 4; i++) {
            o.sackLeft[i] = blocks[i][0];
            o.sackRight[i] = blocks[i][1];
        }
        s.update(o, una, 1000);
        assertThat(s.skipSacked(250)).isEqualTo(400);
        assertThat(s.skipSacked(100)).isEqualTo(100);
        assertThat(s.nextSackedAfter(0, 1000)).isEqualTo(200);
        assertThat(s.highest(una)).isEqualTo(400);
        s.ackedTo(250);
        assertThat(s.skipSacked(250)).isEqualTo(400);
        s.ackedTo(400);
        assertThat(s.isEmpty()).isTrue();
    }

    @Test
    void rtoFollowsRfc6298() {
        RtoEstimator r = new RtoEstimator();
        assertThat(r.rto()).isEqualTo(TimeUnit.SECONDS.toNanos(1));
        r.sample(TimeUnit.MILLISECONDS.toNanos(100));
        // SRTT 100 ms, RTTVAR 50 ms: 100 + 4 * 50 = 300 ms.
        assertThat(r.rto()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
        r.sample(TimeUnit.MILLISECONDS.toNanos(100));
        // RTTVAR 3/4 * 50 = 37.5 ms: 100 + 150 = 250 ms.
        assertThat(r.rto()).isEqualTo(TimeUnit.MICROSECONDS.toNanos(250_000));
        for (int i = 0; i < 50; i++) {
            r.sample(0);
        }
        assertThat(r.rto()).as("floor").isEqualTo(RtoEstimator.MIN_RTO);
        for (int i = 0; i < 20; i++) {
            r.backoff();
        }
        assertThat(r.rto()).as("ceiling").isEqualTo(RtoEstimator.MAX_RTO);
    }

    @Test
    void windowShiftIsTheSmallestReachingTheBuffer() {
        assertThat(TcpStack.windowShiftFor(16 << 10)).isZero();
        assertThat(TcpStack.windowShiftFor(65535)).isZero();
        assertThat(TcpStack.windowShiftFor(65536)).isEqualTo(1);
        assertThat(TcpStack.windowShiftFor(1 << 20)).isEqualTo(5);
        assertThat(TcpStack.windowShiftFor(64 << 20)).isEqualTo(11);
    }
}
