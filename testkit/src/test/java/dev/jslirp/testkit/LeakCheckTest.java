package dev.jslirp.testkit;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The extension's leak check is its own network's: a buffer of the network's allocator that
 * is still held when the network closed fails the test, and names its bytes.
 */
class LeakCheckTest {
    /** A context that only knows the test's name, the one thing the extension reads from it. */
    private static final ExtensionContext CONTEXT = (ExtensionContext) Proxy.newProxyInstance(
            LeakCheckTest.class.getClassLoader(), new Class<?>[] {ExtensionContext.class},
            (proxy, method, args) -> method.getName().equals("getDisplayName") ? "leakyTest()" : null);

    @Test
    void aBufferHeldPastTheEndFailsTheTestWithItsBytes() {
        JslirpExtension jslirp = new JslirpExtension();
        jslirp.beforeEach(CONTEXT);
        jslirp.guest().lease();
        ByteBuf held = jslirp.network().guest().alloc().buffer(4).writeInt(0xcafebabe);
        assertThatThrownBy(() -> jslirp.afterEach(CONTEXT))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 buffer(s) of the network were not released by the end of leakyTest()")
                .hasMessageContaining("cafebabe");
        org.assertj.core.api.Assertions.assertThat(held.refCnt()).as("released by the check").isZero();
    }

    @Test
    void aNetworkThatReleasedEverythingPasses() {
        JslirpExtension jslirp = JslirpExtension.frozenClock();
        jslirp.beforeEach(CONTEXT);
        jslirp.guest().lease();
        assertThatCode(() -> jslirp.afterEach(CONTEXT)).doesNotThrowAnyException();
    }
}
