package dev.jslirp.core.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Proves the leak check can fail: a buffer dropped unreleased is reported. */
class LeakCheckSelfTest {
    @Test
    void anUnreleasedBufferIsReported() {
        // Collecting here consumes the report, so the class itself passes.
        List<String> leaks = LeakRecorder.collectDeliberate(LeakCheckSelfTest::leakOne);
        assertThat(leaks).isNotEmpty();
        assertThat(leaks.get(0)).startsWith("LEAK:");
    }

    private static void leakOne() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        b.writeLong(42);
        // no release
    }
}
