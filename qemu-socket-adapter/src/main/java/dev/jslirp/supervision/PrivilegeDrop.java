package dev.jslirp.supervision;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.util.List;

/**
 * {@code --runas}: once the tap is open and the namespace configured, jslirp gives up root,
 * as passt and pasta do after their set-up: it needs no privilege to go on (the tap's
 * descriptor and every bound socket stay usable; new host sockets for the NAT need none),
 * and a flaw in its packet handling then yields an unprivileged process, not root.
 *
 * <h2>How</h2>
 * <ol>
 *   <li>Every class path entry is opened while root may still read it (a jar under
 *       {@code /root} that no class was loaded from yet could not be opened as the user
 *       later, and a class first needed at shutdown would be missing).</li>
 *   <li>{@code setgroups(0, NULL)}, {@code setgid(GID)}, {@code setuid(UID)}, in this order
 *       (after setuid the others are no longer permitted). No supplementary groups are kept,
 *       as passt does: the user's own groups would only add access. glibc makes each call
 *       on every thread of the process (its setxid broadcast), so the JVM's threads (event
 *       loops, GC, JIT) all change, not only the caller; setuid from root clears the
 *       permitted, effective and ambient capabilities. The kernel also makes the process
 *       non-dumpable, so no other process of that user can ptrace it or read its memory.</li>
 *   <li>Every thread's {@code /proc/self/task/TID/status} is checked: all four user and
 *       group ids are the new ones, no supplementary groups, no capabilities. Anything
 *       else is an error and jslirp stops.</li>
 * </ol>
 *
 * <p>What it means afterwards: host forwards added at run time cannot listen on ports
 * below 1024 (those given at start-up are already bound); files jslirp creates from then
 * on ({@code pcap start FILE}) belong to the user; files it made as root (a pid file, the
 * control socket) are removed at exit only where the user may remove them.
 */
public final class PrivilegeDrop {
    private final RunAs target;

    private PrivilegeDrop(RunAs target) {
        this.target = target;
    }

    /** What to do before any thread other than the caller needs it. */
    public record Decision(PrivilegeDrop drop, String warning) {
    }

    /**
     * Decides, before anything starts, what {@code --runas target} means for a process
     * that runs as {@code now} (the calling thread's credentials).
     *
     * @return a drop to make once the tap is set up; or no drop and a warning when the
     *         process already runs as the target user and group without capabilities
     * @throws IllegalArgumentException if the process cannot change its user and group
     *                                  (not root, no {@code CAP_SETUID}/{@code CAP_SETGID})
     */
    public static Decision decide(RunAs target, ThreadCredentials now) {
        if (now.euid() == target.uid() && now.egid() == target.gid() && now.capEff().signum() == 0) {
            return new Decision(null, "--runas " + target.describe() + ": jslirp runs as that user and group "
                    + "already, with no capabilities; nothing to drop");
        }
        if (!now.canChangeIdentity()) {
            throw new IllegalArgumentException("jslirp runs as uid " + now.euid() + ", not root, and cannot change "
                    + "its user (no CAP_SETUID and CAP_SETGID): start it as root to have it become "
                    + target.describe() + " once the tap is set up, or leave --runas out");
        }
        return new Decision(new PrivilegeDrop(target), null);
    }

    /** The user and group this drop changes to. */
    public RunAs target() {
        return target;
    }

    /**
     * Drops to the target user and group, then checks every thread.
     *
     * @return the one line to log: what was dropped, what the process is now
     * @throws IOException if a call fails or a thread still has an old id, a group or a
     *                     capability; the process must not go on then
     */
    public String apply() throws IOException {
        ThreadCredentials before = ThreadCredentials.current();
        openEveryClassPathEntry();
        Posix c = Posix.get();
        try {
            c.setgroups(new NativeLong(0), null);
        } catch (LastErrorException e) {
            throw new IOException("--runas: setgroups(0) failed: " + e.getMessage(), e);
        }
        try {
            c.setgid((int) target.gid());
        } catch (LastErrorException e) {
            throw new IOException("--runas: setgid(" + target.gid() + ") failed: " + e.getMessage(), e);
        }
        try {
            c.setuid((int) target.uid());
        } catch (LastErrorException e) {
            throw new IOException("--runas: setuid(" + target.uid() + ") failed: " + e.getMessage()
                    + (e.getErrorCode() == 22 ? " (the uid is not mapped in jslirp's user namespace)" : ""), e);
        }
        List<ThreadCredentials.Named> threads = ThreadCredentials.allThreads();
        for (ThreadCredentials.Named t : threads) {
            String left = t.credentials().differenceFrom(target.uid(), target.gid());
            if (!left.isEmpty()) {
                throw new IOException("--runas: thread " + t.tid() + " (" + t.name() + ") still has " + left
                        + " after changing to " + target.describe());
            }
        }
        return "dropped root: now " + target.describe() + ", was uid " + before.euid() + " gid " + before.egid()
                + " with " + before.groups().length + " supplementary groups and capabilities CapEff="
                + before.capEff().toString(16) + "; now no supplementary groups and CapPrm=CapEff=CapAmb=0, checked in "
                + "all " + threads.size() + " threads";
    }

    /**
     * Makes the system class loader open every entry of its class path: looking up a
     * resource no entry has searches them all, and a jar once opened stays open (the JDK's
     * {@code URLClassPath} keeps it), so classes load from it after the user changed.
     */
    private static void openEveryClassPathEntry() {
        ClassLoader.getSystemClassLoader().getResource("dev/jslirp/supervision/no-such-resource-opens-every-jar");
    }
}
