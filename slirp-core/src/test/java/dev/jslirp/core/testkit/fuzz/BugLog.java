package dev.jslirp.core.testkit.fuzz;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Watches standard error, where the tests' SLF4J binding logs, for the lines jslirp
 * writes when it caught its own bug and carried on ({@code "bug: ..."}: a service that
 * threw on a frame, a TCP timer that failed). The network survives those by design, so
 * a fuzz target sees no exception; it asks here instead.
 */
public final class BugLog {
    private static final String MARK = " - bug: ";
    private static volatile String first;
    private static boolean installed;

    private BugLog() {
    }

    /**
     * Starts watching (idempotent); everything still reaches the real standard error.
     * Also fails unless Netty's leak detector is at paranoid level, as the build sets it
     * for every test JVM: a fuzzing run must not go without it.
     */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        if (io.netty.util.ResourceLeakDetector.getLevel() != io.netty.util.ResourceLeakDetector.Level.PARANOID) {
            throw new IllegalStateException("fuzz targets run with -Dio.netty.leakDetection.level=paranoid (the "
                    + "build's surefire argLine); the leak detector is at " + io.netty.util.ResourceLeakDetector.getLevel());
        }
        installed = true;
        PrintStream real = System.err;
        System.setErr(new PrintStream(new OutputStream() {
            private final StringBuilder line = new StringBuilder();

            @Override
            public synchronized void write(int b) {
                real.write(b);
                if (b == '\n') {
                    check();
                } else if (line.length() < 4096) {
                    line.append((char) b);
                }
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                real.write(b, off, len);
                String s = new String(b, off, len, StandardCharsets.ISO_8859_1);
                int from = 0;
                for (int nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', from)) {
                    line.append(s, from, Math.min(nl, from + 4096));
                    check();
                    from = nl + 1;
                }
                if (line.length() < 4096) {
                    line.append(s, from, Math.min(s.length(), from + 4096));
                }
            }

            @Override
            public void flush() {
                real.flush();
            }

            private void check() {
                if (first == null && line.indexOf(MARK) >= 0) {
                    first = line.toString();
                }
                line.setLength(0);
            }
        }, true));
    }

    /** Fails if a bug line was logged since the last call (the stack trace follows it in the log), and forgets it. */
    public static void assertNone(String when) {
        String bug = first;
        first = null;
        if (bug != null) {
            throw new AssertionError("jslirp logged a bug it caught " + when + ": " + bug);
        }
    }
}
