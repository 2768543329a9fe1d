package dev.jslirp.core.testkit.fuzz;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.VirtualGuest;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * A network on a deterministic embedded loop that a fuzz target drives with a
 * {@link FrameScript}, checking after every step what must hold whatever the guest sent:
 * <ul>
 *   <li>no exception escaped: {@link DropReason#SERVICE_ERROR} stays 0 (the network
 *       counts a service's exception there instead of throwing) and no "bug:" line was
 *       logged ({@link BugLog});</li>
 *   <li>every frame from the guest is handled or counted:
 *       {@link NetworkStats#framesAccountedFor()} &gt;= frames received;</li>
 *   <li>memory is bounded: the bytes reassembly holds stay within the configured limit,
 *       and the checks a target adds ({@link #check(String, Check)}) hold;</li>
 *   <li>every frame sent to the guest is well-formed ({@link OutboundFrames});</li>
 *   <li>no leak: once closed, every buffer the network allocated (and every frame the
 *       script sent) was released ({@link TrackingAllocator}).</li>
 * </ul>
 * Frames the network sends the guest are released as they come.
 */
public final class FuzzNetwork implements FrameScript.Target, AutoCloseable {
    /** A condition a target adds; returns null when it holds, else what is wrong. */
    @FunctionalInterface
    public interface Check {
        /** Null if the invariant holds, otherwise a description of how it fails. */
        String violation();
    }

    private final TrackingAllocator alloc = new TrackingAllocator();
    private final VirtualGuest guest;
    private final NetworkConfig config;
    private final List<String> checkNames = new ArrayList<>();
    private final List<Check> checks = new ArrayList<>();
    private IntConsumer actions = arg -> { };
    private Consumer<ByteBuf> rewriter = b -> { };
    private Consumer<ByteBuf> observer = b -> { };
    private Runnable afterStep = () -> { };
    private long framesToGuest;
    private int step;

    private FuzzNetwork(NetworkConfig config, GuestService... services) {
        BugLog.install();
        BugLog.assertNone("before the input ran");
        this.config = config;
        this.guest = VirtualGuest.embedded(config, alloc, services);
    }

    /** A network of {@code config} with {@code services}, on an embedded loop. */
    public static FuzzNetwork of(NetworkConfig config, GuestService... services) {
        return new FuzzNetwork(config, services);
    }

    /** The scripted guest (its network, clock and sink). */
    public VirtualGuest guest() {
        return guest;
    }

    /** The network. */
    public GuestNetwork network() {
        return guest.network();
    }

    /** The allocator the network's buffers come from; tracked. */
    public TrackingAllocator alloc() {
        return alloc;
    }

    /** What step 5 of the script does. */
    public FuzzNetwork onAction(IntConsumer a) {
        this.actions = a;
        return this;
    }

    /**
     * Changes each frame of the script before it is sent (and before its checksums are
     * repaired): to make fields relative to what the network chose, such as its TCP
     * initial sequence numbers, so that an input means the same thing on every run.
     */
    public FuzzNetwork rewriting(Consumer<ByteBuf> r) {
        this.rewriter = r;
        return this;
    }

    /** Shows each frame the network sends the guest to {@code o} before it is released. */
    public FuzzNetwork observing(Consumer<ByteBuf> o) {
        this.observer = o;
        return this;
    }

    /**
     * Runs {@code r} after every step, before the invariants are checked: for a target's
     * scripted host side to take what the network sent it (and release it, so that the
     * leak check at the end holds the network to what it still owns).
     */
    public FuzzNetwork afterEachStep(Runnable r) {
        this.afterStep = r;
        return this;
    }

    /** Adds an invariant checked after every step. */
    public FuzzNetwork check(String name, Check c) {
        checkNames.add(name);
        checks.add(c);
        return this;
    }

    /** Runs {@code script}, then closes the network and checks that nothing leaked. */
    public void run(byte[] script) {
        try {
            FrameScript.run(script, this);
        } catch (RuntimeException | Error e) {
            try {
                close();
            } catch (RuntimeException | Error suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        close();
    }

    @Override
    public void frame(byte[] frame, boolean repaired) {
        ByteBuf b = alloc.heapBuffer(Math.max(frame.length, 1));
        b.writeBytes(frame);
        rewriter.accept(b);
        if (repaired) {
            ChecksumRepair.repair(b);
        }
        guest.send(b);
        settle("after frame " + step++);
    }

    @Override
    public void advance(Duration d) {
        guest.advance(d);
        settle("after " + d.toMillis() + " ms passed (step " + step++ + ")");
    }

    @Override
    public void action(int arg) {
        guest.onLoop(() -> actions.accept(arg));
        settle("after action " + arg + " (step " + step++ + ")");
    }

    /** Releases what the network sent and checks the invariants. */
    public void settle(String when) {
        guest.runPending();
        drain();
        afterStep.run();
        NetworkStats stats = network().stats();
        long errors = stats.drops().get(DropReason.SERVICE_ERROR);
        if (errors != 0) {
            throw new AssertionError(errors + " SERVICE_ERROR(s) " + when + " (the exception is in the log)");
        }
        BugLog.assertNone(when);
        long received = stats.traffic().get(NetworkStats.Traffic.FRAMES_FROM_GUEST);
        if (stats.framesAccountedFor() < received) {
            throw new AssertionError("frames not accounted for " + when + ": " + received + " received, "
                    + stats.framesAccountedFor() + " handled or dropped; " + stats.snapshot());
        }
        int held = network().reassemblyBytesHeld();
        if (held < 0 || held > config.maxReassemblyBytes()) {
            throw new AssertionError("reassembly holds " + held + " bytes " + when + ", limit "
                    + config.maxReassemblyBytes());
        }
        for (int i = 0; i < checks.size(); i++) {
            String v = checks.get(i).violation();
            if (v != null) {
                throw new AssertionError(checkNames.get(i) + " violated " + when + ": " + v);
            }
        }
    }

    private void drain() {
        ByteBuf f;
        while ((f = guest.sink().poll()) != null) {
            framesToGuest++;
            try {
                String bad = OutboundFrames.problem(f, config.mtu());
                if (bad != null) {
                    throw new AssertionError("the network sent the guest a malformed frame (" + bad + "): "
                            + io.netty.buffer.ByteBufUtil.hexDump(f));
                }
                observer.accept(f);
            } finally {
                f.release();
            }
        }
    }

    /** Frames the network sent the guest so far. */
    public long framesToGuest() {
        return framesToGuest;
    }

    /** Closes the network (idempotent) and fails if a buffer is still held. */
    @Override
    public void close() {
        if (step < 0) {
            return;
        }
        step = -1;
        guest.close();
        drain();
        afterStep.run();
        BugLog.assertNone("while the network closed");
        alloc.assertAllReleased("once the network closed");
    }
}
