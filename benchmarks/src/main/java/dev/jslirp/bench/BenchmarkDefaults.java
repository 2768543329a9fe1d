package dev.jslirp.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JMH settings every benchmark here inherits (JMH reads these annotations from
 * superclasses): average time per operation in nanoseconds, 3 warm-up and 5 measured
 * iterations of 1 s, one forked JVM with the leak detector off (its tracking allocates)
 * and JMH's workers on {@link EventLoopThreads}. The command line overrides any of them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {EventLoopThreads.NO_LEAK_DETECTION, EventLoopThreads.EXECUTOR,
        EventLoopThreads.EXECUTOR_CLASS})
public abstract class BenchmarkDefaults {
}
