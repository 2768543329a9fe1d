package dev.jslirp.bench;

import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's worker threads as Netty's event-loop threads are: {@link FastThreadLocalThread}s.
 *
 * <p>Why it matters: since Netty 4.2 the {@code Recycler} pools objects (pooled buffer
 * instances, slices, duplicates, outbound-buffer entries) only on threads that clean up
 * their fast thread-locals, i.e. event-loop threads; on any other thread every
 * {@code retainedSlice()} is a new object. A benchmark that runs the network on JMH's
 * own thread (an {@link EmbeddedNetwork}) would otherwise report allocations that the
 * network never makes on its event loop. JMH builds its worker pool from this class when
 * the forked JVM has {@value #EXECUTOR} and {@value #EXECUTOR_CLASS}
 * (the {@code @Fork(jvmArgsAppend = ...)} of {@link BenchmarkDefaults}).
 */
public final class EventLoopThreads extends ThreadPoolExecutor {
    /** Selects a custom executor for JMH's workers. */
    public static final String EXECUTOR = "-Djmh.executor=CUSTOM";
    /** Names this class as that executor. */
    public static final String EXECUTOR_CLASS = "-Djmh.executor.class=dev.jslirp.bench.EventLoopThreads";
    /** Benchmarks run without the leak detector, whose tracking allocates (tests run it at paranoid). */
    public static final String NO_LEAK_DETECTION = "-Dio.netty.leakDetection.level=disabled";

    /** JMH's contract for {@code jmh.executor=CUSTOM}: at most {@code maxThreads} threads named from {@code prefix}. */
    public EventLoopThreads(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory(prefix, true));
    }
}
