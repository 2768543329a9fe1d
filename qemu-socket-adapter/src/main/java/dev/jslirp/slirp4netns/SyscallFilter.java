package dev.jslirp.slirp4netns;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --enable-seccomp}: a seccomp filter, installed with libseccomp (through JNA) on
 * every thread of the JVM at once ({@code SCMP_FLTATR_CTL_TSYNC}), after start-up and
 * before readiness as slirp4netns installs its own. System calls that jslirp never
 * makes once running fail with {@code EPERM}: starting programs, tracing or reading other
 * processes, mounting, namespaces, kernel modules and kexec, BPF and perf, keyrings,
 * swap, the clock, the host name, raw I/O ports. Code that took over the process could
 * not use them either.
 *
 * <p>slirp4netns's filter is an allow-list of the calls its C program makes. A JVM's
 * set is not fixed (the JIT, garbage collectors, class loading), so an allow-list would
 * kill jslirp at the first call nobody foresaw; this deny-list closes what an attacker
 * would want and that jslirp can do without. The no-new-privileges bit is set on all
 * threads too (libseccomp's default, propagated by the kernel with the filter).
 *
 * <p>Needs libseccomp 2 ({@code libseccomp.so.2}, Debian's libseccomp2, which
 * slirp4netns itself needs).
 */
final class SyscallFilter {
    /** What jslirp does without once its tap is open; names as libseccomp resolves them. */
    static final List<String> DENIED = List.of(
            "execve", "execveat",
            "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
            "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig",
            "fspick", "mount_setattr",
            "unshare", "setns",
            "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
            "bpf", "perf_event_open", "userfaultfd",
            "keyctl", "add_key", "request_key",
            "swapon", "swapoff", "acct", "quotactl",
            "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
            "sethostname", "setdomainname",
            "iopl", "ioperm",
            "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "fanotify_init", "vhangup");

    /** {@code SCMP_ACT_ALLOW}, from libseccomp's seccomp.h. */
    private static final int ACT_ALLOW = 0x7fff0000;
    /** {@code SCMP_ACT_ERRNO(EPERM)}: {@code 0x00050000 | errno}. */
    private static final int ACT_ERRNO_EPERM = 0x00050000 | 1;
    /** {@code SCMP_FLTATR_CTL_TSYNC}: install on every thread of the process. */
    private static final int ATTR_CTL_TSYNC = 4;

    /** The libseccomp calls. */
    interface LibSeccomp extends Library {
        Pointer seccomp_init(int defAction);

        int seccomp_rule_add_array(Pointer ctx, int action, int syscall, int argCnt, Pointer args);

        int seccomp_syscall_resolve_name(String name);

        int seccomp_attr_set(Pointer ctx, int attr, int value);

        int seccomp_load(Pointer ctx);

        void seccomp_release(Pointer ctx);
    }

    private SyscallFilter() {
    }

    /**
     * Installs the filter on every thread. Irreversible.
     *
     * @return the names denied (those this architecture has)
     * @throws IOException if libseccomp is missing or the kernel refuses the filter
     */
    static List<String> install() throws IOException {
        LibSeccomp lib;
        try {
            lib = Native.load("seccomp", LibSeccomp.class);
        } catch (UnsatisfiedLinkError e) {
            throw new IOException("--enable-seccomp needs libseccomp 2 (Debian: libseccomp2): " + e.getMessage(), e);
        }
        Pointer ctx = lib.seccomp_init(ACT_ALLOW);
        if (ctx == null) {
            throw new IOException("--enable-seccomp: seccomp_init failed");
        }
        try {
            List<String> denied = new ArrayList<>();
            for (String name : DENIED) {
                int nr = lib.seccomp_syscall_resolve_name(name);
                if (nr < 0) {
                    continue; // not a system call of this architecture
                }
                check(lib.seccomp_rule_add_array(ctx, ACT_ERRNO_EPERM, nr, 0, null), "seccomp_rule_add " + name);
                denied.add(name);
            }
            check(lib.seccomp_attr_set(ctx, ATTR_CTL_TSYNC, 1), "seccomp_attr_set TSYNC");
            check(lib.seccomp_load(ctx), "seccomp_load");
            return denied;
        } finally {
            lib.seccomp_release(ctx);
        }
    }

    /** libseccomp returns a negative errno on failure. */
    private static void check(int rc, String what) throws IOException {
        if (rc < 0) {
            throw new IOException("--enable-seccomp: " + what + " failed: errno " + -rc);
        }
    }
}
