package dev.jslirp.core.testkit;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs {@link LeakRecorder} when the test session opens, before any test class
 * touches a buffer. Registered through {@code META-INF/services}, so every module
 * that has the slirp-core test-jar on its test class path gets it.
 */
public final class LeakRecorderSessionListener implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        LeakRecorder.install();
    }
}
