package dev.jslirp.core.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Records every leak Netty's detector reports, so tests can fail on them instead of
 * leaving a log line nobody reads. Installed before any buffer class is initialised
 * (by {@link LeakRecorderSessionListener}), it replaces the detector factory with one
 * whose detectors also keep the reports here.
 */
public final class LeakRecorder {
    private static final List<String> LEAKS = new ArrayList<>();
    private static boolean installed;
    /** False only while a test leaks on purpose, so its report is recorded but not logged. */
    private static volatile boolean logReports = true;

    private LeakRecorder() {
    }

    /** Installs the recording factory; idempotent. */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                       long maxActive) {
                return new RecordingDetector<>(resource, samplingInterval);
            }
        });
    }

    /**
     * Runs {@code leaker}, which leaks on purpose, and returns the leaks it caused,
     * without Netty logging them (a logged "LEAK:" line is what tools grep for).
     */
    public static List<String> collectDeliberate(Runnable leaker) {
        logReports = false;
        try {
            leaker.run();
            List<String> leaks = List.of();
            for (int i = 0; i < 20 && leaks.isEmpty(); i++) {
                leaks = collect();
            }
            return leaks;
        } finally {
            logReports = true;
        }
    }

    /**
     * Collects garbage and allocates tracked buffers until the detector has polled its
     * queue, then returns and forgets the leaks reported so far.
     */
    public static List<String> collect() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            System.runFinalization();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            // At paranoid level every allocation is tracked, and tracking polls the
            // queue of collected, unreleased buffers.
            for (int i = 0; i < 8; i++) {
                ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(8);
                a.release();
                ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(8);
                b.release();
            }
        }
        synchronized (LEAKS) {
            List<String> out = new ArrayList<>(LEAKS);
            LEAKS.clear();
            return out;
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            if (logReports) {
                super.reportTracedLeak(resourceType, records);
            }
            record("LEAK: " + resourceType + " was released by nobody. Recent access records:" + records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            if (logReports) {
                super.reportUntracedLeak(resourceType);
            }
            record("LEAK: " + resourceType + " was released by nobody (no records; level below paranoid?)");
        }

        private static void record(String leak) {
            synchronized (LEAKS) {
                LEAKS.add(leak);
            }
        }
    }
}
