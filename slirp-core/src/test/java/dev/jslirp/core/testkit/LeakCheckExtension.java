package dev.jslirp.core.testkit;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reported a leak while it ran.
 * Auto-detected (the build enables {@code junit.jupiter.extensions.autodetection}),
 * so every test class is checked without opting in. Leaks found before the class
 * started are attributed to "an earlier test" rather than silently dropped.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        LeakRecorder.install();
        List<String> earlier = LeakRecorder.collect();
        if (!earlier.isEmpty()) {
            throw new AssertionError("Netty reported " + earlier.size()
                    + " buffer leak(s) from an earlier test, found before " + context.getDisplayName() + ":\n"
                    + String.join("\n", earlier));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> leaks = LeakRecorder.collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported " + leaks.size() + " buffer leak(s) in or before "
                    + context.getDisplayName() + ":\n" + String.join("\n", leaks));
        }
    }
}
