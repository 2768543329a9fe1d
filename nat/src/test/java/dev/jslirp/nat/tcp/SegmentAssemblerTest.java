package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.buffer.MemoryBudget;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SegmentAssemblerTest {
    private static final int BASE = 0xfffff000;   // sequence numbers wrap inside the tests
    private static final int CHUNK = 64;

    /** An assembler holding at most {@code ranges} ranges in {@value #CHUNK}-byte chunks, capacity unbounded. */
    private static SegmentAssembler assembler(int ranges) {
        return new SegmentAssembler(ranges, PooledByteBufAllocator.DEFAULT, CHUNK, Long.MAX_VALUE,
                new MemoryBudget(MemoryBudget.MIN_LIMIT).newAccount());
    }

    private static final class Collect implements SegmentAssembler.Sink {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public void deliver(ByteBuf data) {
            out.writeBytes(ByteBufUtil.getBytes(data));
            data.release();
        }
    }

    @Test
    void gapsAreHeldAndDrainedInOrder() {
        byte[] data = new byte[300];
        new Random(1).nextBytes(data);
        ByteBuf frame = Unpooled.wrappedBuffer(data);
        SegmentAssembler a = assembler(8);
        assertThat(a.add(BASE + 200, frame, 200, 100)).isEqualTo(100);
        assertThat(a.add(BASE + 100, frame, 100, 50)).isEqualTo(50);
        assertThat(a.bytes()).isEqualTo(150);
        assertThat(a.blockCount()).isEqualTo(2);
        Collect c = new Collect();
        assertThat(a.drain(BASE, c)).as("gap at the front: nothing").isEqualTo(BASE);
        // In-order data [0, 120) arrives (overlapping the held [100, 150)).
        int next = a.drain(BASE + 120, c);
        assertThat(next).isEqualTo(BASE + 150);
        assertThat(c.out.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(data, 120, 150));
        assertThat(a.segments()).isEqualTo(1);
        a.clear();
        frame.release();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void randomOverlapsAssembleExactlyOnce(long seed) {
        Random rnd = new Random(seed);
        byte[] data = new byte[4000];
        rnd.nextBytes(data);
        ByteBuf frame = Unpooled.wrappedBuffer(data);
        SegmentAssembler a = assembler(1000);
        List<int[]> pieces = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int s = rnd.nextInt(3900) + 100;
            int e = Math.min(4000, s + 1 + rnd.nextInt(300));
            pieces.add(new int[] {s, e});
        }
        for (int s = 100; s < 4000; s += 250) {
            pieces.add(new int[] {s, Math.min(4000, s + 250)});   // make sure everything is covered
        }
        Collections.shuffle(pieces, rnd);
        for (int[] p : pieces) {
            a.add(BASE + p[0], frame, p[0], p[1] - p[0]);
            assertThat(a.bytes()).isLessThanOrEqualTo(3900);
        }
        assertThat(a.bytes()).isEqualTo(3900);
        assertThat(a.blockCount()).isEqualTo(1);
        Collect c = new Collect();
        c.out.writeBytes(java.util.Arrays.copyOf(data, 100));
        assertThat(a.drain(BASE + 100, c)).isEqualTo(BASE + 4000);
        assertThat(c.out.toByteArray()).isEqualTo(data);
        assertThat(a.isEmpty()).isTrue();
        frame.release();
    }

    @Test
    void rangeBoundRefusesNewRangesButAppendsToHeldOnes() {
        ByteBuf frame = Unpooled.wrappedBuffer(new byte[1000]);
        SegmentAssembler a = assembler(2);
        assertThat(a.add(BASE + 10, frame, 10, 10)).isEqualTo(10);
        assertThat(a.add(BASE + 30, frame, 30, 10)).isEqualTo(10);
        assertThat(a.add(BASE + 50, frame, 50, 10)).isEqualTo(-1);
        assertThat(a.add(BASE + 5, frame, 5, 5)).as("[5,10) would be a third range").isEqualTo(-1);
        assertThat(a.add(BASE + 10, frame, 10, 30)).as("[20,30) continues the first range").isEqualTo(10);
        assertThat(a.add(BASE + 10, frame, 10, 10)).as("a duplicate needs nothing").isZero();
        assertThat(a.segments()).isEqualTo(2);
        assertThat(a.blockCount()).isEqualTo(1);
        a.clear();
        assertThat(frame.refCnt()).as("the frame is copied, never retained").isEqualTo(1);
        frame.release();
    }

    @Test
    void aWindowOfSegmentsAfterOneLossSharesRanges() {
        byte[] data = new byte[100 * 16];
        new Random(7).nextBytes(data);
        ByteBuf frame = Unpooled.wrappedBuffer(data);
        SegmentAssembler a = assembler(32);
        for (int s = 16; s < data.length; s += 16) {         // segment 0 was lost
            assertThat(a.add(BASE + s, frame, s, 16)).isEqualTo(16);
        }
        assertThat(a.blockCount()).isEqualTo(1);
        assertThat(a.segments()).as("99 segments of 16 bytes, four to a 64-byte chunk").isEqualTo(25);
        Collect c = new Collect();
        c.out.writeBytes(java.util.Arrays.copyOf(data, 16));
        assertThat(a.drain(BASE + 16, c)).isEqualTo(BASE + data.length);
        assertThat(c.out.toByteArray()).isEqualTo(data);
        assertThat(a.isEmpty()).isTrue();
        assertThat(a.capacityHeld()).isZero();
        frame.release();
    }

    @Test
    void capacityBoundRefusesScatteredTinySegments() {
        ByteBuf frame = Unpooled.wrappedBuffer(new byte[1000]);
        SegmentAssembler a = new SegmentAssembler(100, PooledByteBufAllocator.DEFAULT, CHUNK, 3 * CHUNK,
                new MemoryBudget(MemoryBudget.MIN_LIMIT).newAccount());
        assertThat(a.add(BASE + 10, frame, 10, 1)).isEqualTo(1);
        assertThat(a.add(BASE + 20, frame, 20, 1)).isEqualTo(1);
        assertThat(a.add(BASE + 30, frame, 30, 1)).isEqualTo(1);
        assertThat(a.add(BASE + 40, frame, 40, 1)).as("a fourth chunk passes the capacity bound").isEqualTo(-1);
        assertThat(a.add(BASE + 31, frame, 31, 5)).as("appending needs no new chunk").isEqualTo(5);
        assertThat(a.capacityHeld()).isEqualTo(3 * CHUNK);
        a.clear();
        assertThat(a.capacityHeld()).isZero();
        frame.release();
    }

    @Test
    void chunksAreChargedToTheMemoryBudgetAndRefusedWhenItHasNoRoom() {
        ByteBuf frame = Unpooled.wrappedBuffer(new byte[1000]);
        MemoryBudget budget = new MemoryBudget(MemoryBudget.MIN_LIMIT);
        MemoryBudget.Account other = budget.newAccount();
        long ceiling = budget.limit() - budget.limit() / 32;      // what room is handed out of
        other.charge(ceiling - 2 * CHUNK);
        MemoryBudget.Account mine = budget.newAccount();
        SegmentAssembler a = new SegmentAssembler(100, PooledByteBufAllocator.DEFAULT, CHUNK, Long.MAX_VALUE, mine);
        assertThat(a.add(BASE + 10, frame, 10, 1)).isEqualTo(1);
        assertThat(a.add(BASE + 100, frame, 100, 1)).isEqualTo(1);
        assertThat(mine.held()).isEqualTo(2 * CHUNK);
        assertThat(budget.used()).isEqualTo(ceiling);
        assertThat(a.add(BASE + 200, frame, 200, 1)).as("a third chunk finds the budget full").isEqualTo(-1);
        assertThat(budget.refusals()).isEqualTo(1);
        Collect c = new Collect();
        a.drain(BASE + 11, c);
        assertThat(mine.held()).as("the drained chunk is credited").isEqualTo(CHUNK);
        a.clear();
        assertThat(mine.held()).isZero();
        other.releaseAll();
        assertThat(budget.used()).isZero();
        frame.release();
    }

    @Test
    void sackBlocksPutTheMostRecentFirst() {
        ByteBuf frame = Unpooled.wrappedBuffer(new byte[1000]);
        SegmentAssembler a = assembler(8);
        a.add(BASE + 100, frame, 100, 100);
        a.add(BASE + 300, frame, 300, 100);
        a.add(BASE + 200, frame, 200, 50);      // joins the first block
        a.add(BASE + 600, frame, 600, 10);
        a.add(BASE + 350, frame, 350, 100);     // extends the second, most recent
        int[] l = new int[4];
        int[] r = new int[4];
        assertThat(a.sackBlocks(l, r, 3)).isEqualTo(3);
        assertThat(l[0]).isEqualTo(BASE + 300);
        assertThat(r[0]).isEqualTo(BASE + 450);
        assertThat(l[1]).isEqualTo(BASE + 100);
        assertThat(r[1]).isEqualTo(BASE + 250);
        assertThat(l[2]).isEqualTo(BASE + 600);
        assertThat(a.sackBlocks(l, r, 1)).isEqualTo(1);
        a.clear();
        frame.release();
    }

    @Test
    void finIsRememberedAtItsSequenceNumber() {
        SegmentAssembler a = assembler(4);
        a.setFin(BASE + 500);
        a.setFin(BASE + 900);
        assertThat(a.finAt(BASE + 500)).isTrue();
        assertThat(a.finAt(BASE + 900)).isFalse();
        a.clear();
        assertThat(a.finAt(BASE + 500)).isFalse();
    }
}
