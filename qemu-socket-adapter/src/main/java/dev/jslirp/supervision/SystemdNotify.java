package dev.jslirp.supervision;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * systemd's readiness protocol ({@code sd_notify(3)}, {@code Type=notify} services):
 * when {@code NOTIFY_SOCKET} is set, jslirp sends {@code READY=1} once it serves and
 * {@code STOPPING=1} when it begins to stop, each as one datagram to that unix socket.
 *
 * <p>The socket is a path, or an abstract name written with a leading {@code @}
 * (sd_notify(3), "NOTIFY_SOCKET"). Java has no unix datagram sockets before JDK 21's
 * incubator work, so the datagram goes out through libc ({@link Posix}); the address is
 * Linux's {@code struct sockaddr_un} ({@code sa_family_t} then the path), systemd being
 * Linux-only. A message that cannot be sent is reported to the caller; it never stops
 * jslirp from serving.
 */
public final class SystemdNotify {
    /** The environment variable systemd sets for a {@code Type=notify} service. */
    public static final String ENV = "NOTIFY_SOCKET";
    /** {@code sizeof(sun_path)} on Linux. */
    private static final int SUN_PATH = 108;
    /** {@code offsetof(struct sockaddr_un, sun_path)}: a 16-bit {@code sa_family_t}. */
    private static final int PATH_OFFSET = 2;

    private final String socket;

    private SystemdNotify(String socket) {
        this.socket = socket;
    }

    /**
     * The notifier systemd asked for through {@code environmentValue} (the value of
     * {@value #ENV}), or null when it is unset or empty.
     *
     * @throws IllegalArgumentException if the value is not a usable socket address
     */
    public static SystemdNotify fromEnvironment(String environmentValue) {
        if (environmentValue == null || environmentValue.isEmpty()) {
            return null;
        }
        if (!environmentValue.startsWith("/") && !environmentValue.startsWith("@")) {
            throw new IllegalArgumentException(ENV + "=" + environmentValue
                    + ": expected an absolute path or an abstract socket name starting with @");
        }
        if (environmentValue.getBytes(StandardCharsets.UTF_8).length >= SUN_PATH) {
            throw new IllegalArgumentException(ENV + "=" + environmentValue + ": longer than a unix socket address");
        }
        return new SystemdNotify(environmentValue);
    }

    /** The socket, as given. */
    public String socket() {
        return socket;
    }

    /** {@code READY=1} with this process as the main pid and {@code status} as the status line. */
    public void ready(String status) throws IOException {
        send("READY=1\nMAINPID=" + ProcessHandle.current().pid() + "\nSTATUS=" + oneLine(status) + "\n");
    }

    /** {@code STOPPING=1}. */
    public void stopping() throws IOException {
        send("STOPPING=1\n");
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ');
    }

    /** Sends {@code message} as one datagram to the socket. */
    void send(String message) throws IOException {
        byte[] path = socket.getBytes(StandardCharsets.UTF_8);
        boolean abstractName = path[0] == '@';
        if (abstractName) {
            path[0] = 0;
        }
        // A path gets its terminating NUL counted, an abstract name exactly its bytes, as sd_notify does.
        int addrLen = PATH_OFFSET + path.length + (abstractName ? 0 : 1);
        Memory addr = new Memory(PATH_OFFSET + SUN_PATH);
        addr.clear();
        addr.setShort(0, (short) Posix.AF_UNIX);
        addr.write(PATH_OFFSET, path, 0, path.length);
        byte[] payload = message.getBytes(StandardCharsets.UTF_8);
        Posix c = Posix.get();
        int fd;
        try {
            fd = c.socket(Posix.AF_UNIX, Posix.SOCK_DGRAM, 0);
        } catch (LastErrorException e) {
            throw new IOException("cannot notify systemd: socket: " + e.getMessage(), e);
        }
        try {
            c.sendto(fd, payload, payload.length, 0, addr, addrLen);
        } catch (LastErrorException e) {
            throw new IOException("cannot notify systemd at " + socket + ": " + e.getMessage(), e);
        } finally {
            c.close(fd);
        }
    }
}
