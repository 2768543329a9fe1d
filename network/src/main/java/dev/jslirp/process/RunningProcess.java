package dev.jslirp.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.nat.guestfwd.GuestfwdCounter;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guest forward command from its start to its reaping, on the event loop.
 *
 * <h2>Ending</h2>
 * <p>The process ends with its connection: when our end closes, its whole process group
 * gets SIGTERM, and SIGKILL once it exited or {@value #GRACE_MILLIS} ms later, whichever
 * comes first (a shell's children go too). Whether it exited is asked with
 * {@code waitid(WNOWAIT | WNOHANG)}, every {@value #POLL_MILLIS} ms, without reaping: as
 * long as the leader is unreaped its process group id cannot be reused, so the signals
 * cannot reach a stranger. Then it is reaped and its standard error closed.
 */
final class RunningProcess {
    private static final Logger LOG = LoggerFactory.getLogger("dev.jslirp.guestfwd");
    static final long GRACE_MILLIS = 2000;
    static final long POLL_MILLIS = 50;
    /** After SIGKILL, polls slow down to this (a process in uninterruptible sleep). */
    static final long SLOW_POLL_MILLIS = 1000;

    private final ProcessLibC libc = ProcessLibC.get();
    private final int pid;
    private final String command;
    private final Channel stderr;
    private final EventLoop loop;
    private final Counters<GuestfwdCounter> counters;
    private Runnable onReaped = () -> { };
    private long deadline;
    private boolean killed;
    private boolean ending;
    private boolean reaped;
    private boolean countWhenReaped;

    RunningProcess(int pid, String command, Channel stderr, EventLoop loop, Counters<GuestfwdCounter> counters) {
        this.pid = pid;
        this.command = command;
        this.stderr = stderr;
        this.loop = loop;
        this.counters = counters;
    }

    /** Runs {@code task} once the process is reaped. */
    void onReaped(Runnable task) {
        this.onReaped = task;
    }

    /** How logs name it. */
    static String describe(int pid, String command) {
        return "guestfwd cmd:" + command + " [pid " + pid + "]";
    }

    /** Its connection ended: SIGTERM now, SIGKILL soon, then reap. On the loop; once. */
    void connectionEnded() {
        if (ending) {
            return;
        }
        ending = true;
        // Counted once reaped, by how it ended: a process closes its descriptors (our EOF)
        // a moment before it becomes waitable, so asking now would call "exit 3" killed.
        countWhenReaped = true;
        signalGroup(ProcessLibC.SIGTERM);
        deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MILLIS);
        poll();
    }

    private void poll() {
        if (hasExited()) {
            signalGroup(ProcessLibC.SIGKILL);   // what the leader left behind
            reap();
            return;
        }
        if (!killed && System.nanoTime() >= deadline) {
            killed = true;
            signalGroup(ProcessLibC.SIGKILL);
        }
        loop.schedule(this::poll, killed ? SLOW_POLL_MILLIS : POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * The network stops: SIGKILL to the group, then reaped within {@code waitMillis} if it
     * goes by then (it is not left running either way). On the loop.
     */
    void killNow(long waitMillis) {
        ending = true;
        signalGroup(ProcessLibC.SIGKILL);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (!hasExited() && System.nanoTime() < until) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (hasExited()) {
            reap();
        } else {
            stderr.close();
        }
    }

    /** True once the process exited (it is not reaped by asking). */
    private boolean hasExited() {
        if (reaped) {
            return true;
        }
        Memory info = new Memory(ProcessLibC.SIGINFO_BYTES);
        info.clear();
        try {
            libc.waitid(ProcessLibC.P_PID, pid, info,
                    ProcessLibC.WEXITED | ProcessLibC.WNOHANG | ProcessLibC.WNOWAIT);
        } catch (LastErrorException e) {
            return true;   // ECHILD: not ours to wait for any more
        }
        return info.getInt(ProcessLibC.SIGINFO_PID_OFFSET) == pid;
    }

    private void signalGroup(int signal) {
        if (reaped) {
            return;
        }
        try {
            libc.kill(-pid, signal);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != ProcessLibC.ESRCH) {
                LOG.debug("{}: kill({}) failed: {}", describe(pid, command), signal, e.getMessage());
            }
        }
    }

    private void reap() {
        IntByReference status = new IntByReference();
        try {
            libc.waitpid(pid, status, ProcessLibC.WNOHANG);
        } catch (LastErrorException e) {
            // ECHILD: reaped already
        }
        reaped = true;
        stderr.close();
        int s = status.getValue();
        if (countWhenReaped) {
            // exited with a status (by itself, or on our SIGTERM with a handler), else ended by a signal
            counters.increment((s & 0x7f) == 0 ? GuestfwdCounter.COMMANDS_EXITED : GuestfwdCounter.COMMANDS_KILLED);
        }
        LOG.debug("{}: {}", describe(pid, command), (s & 0x7f) == 0 ? "exited with status " + ((s >> 8) & 0xff)
                : "ended by signal " + (s & 0x7f));
        onReaped.run();
    }
}
