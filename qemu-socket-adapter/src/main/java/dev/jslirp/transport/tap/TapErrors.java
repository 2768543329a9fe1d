package dev.jslirp.transport.tap;

import com.sun.jna.LastErrorException;
import java.io.IOException;

/**
 * Start-up failures of the tap transport as messages a user can act on: what jslirp
 * tried, what the system said, and what to do about it (mostly: which capability is
 * missing where).
 */
final class TapErrors {
    private TapErrors() {
    }

    /** Opening {@code /dev/net/tun} failed. */
    static IOException openTun(String path, LastErrorException e) {
        String hint = switch (e.getErrorCode()) {
            case LibC.ENOENT, LibC.ENODEV -> ": the tun driver is missing (modprobe tun; in a container, "
                    + "mknod " + path + " c 10 200)";
            case LibC.EACCES, LibC.EPERM -> ": permission denied (run as root, or make " + path + " accessible)";
            default -> "";
        };
        return new IOException("cannot open " + path + ": " + e.getMessage() + hint, e);
    }

    /** TUNSETIFF for tap {@code name} failed. */
    static IOException attach(String name, LastErrorException e) {
        String hint = switch (e.getErrorCode()) {
            case LibC.EPERM -> ": not permitted: creating a tap, or attaching to one owned by another user, needs "
                    + "CAP_NET_ADMIN in the network namespace's user namespace (run as root, or create a persistent "
                    + "tap for your user first: ip tuntap add dev " + name + " mode tap user $USER)";
            case LibC.EBUSY -> ": the tap is in use by another process (a single-queue tap has one reader)";
            case LibC.EINVAL -> ": an interface of that name exists and is not a single-queue tap "
                    + "(a tun, a multi-queue tap or another kind of device)";
            default -> "";
        };
        return new IOException("cannot attach tap " + name + ": " + e.getMessage() + hint, e);
    }

    /** An interface ioctl ({@code what}: "set the MTU of tap0 to 1500") failed. */
    static IOException linkConfig(String what, LastErrorException e) {
        String hint = e.getErrorCode() == LibC.EPERM
                ? " (needs CAP_NET_ADMIN in the network namespace's user namespace)" : "";
        return new IOException("cannot " + what + ": " + e.getMessage() + hint, e);
    }

    /** Opening the namespace file {@code path} failed. */
    static IOException openNamespace(String path, LastErrorException e) {
        String hint = e.getErrorCode() == LibC.ENOENT
                ? ": no such namespace (create one with ip netns add NAME, or give /proc/PID/ns/net of a "
                        + "process inside it)" : "";
        return new IOException("cannot open network namespace " + path + ": " + e.getMessage() + hint, e);
    }

    /** setns(2) into {@code path} failed. */
    static IOException enterNamespace(String path, LastErrorException e) {
        String hint = switch (e.getErrorCode()) {
            case LibC.EINVAL -> ": not a network namespace (expected /run/netns/NAME or /proc/PID/ns/net)";
            case LibC.EPERM -> ": not permitted: entering a network namespace needs CAP_SYS_ADMIN in its owning "
                    + "user namespace (run as root, or run jslirp inside that user namespace, e.g. "
                    + "nsenter -t PID -U --preserve-credentials jslirp --netns PID)";
            default -> "";
        };
        return new IOException("cannot enter network namespace " + path + ": " + e.getMessage() + hint, e);
    }
}
