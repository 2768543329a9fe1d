package dev.jslirp.supervision;

import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a supervisor asked to be told, told in order: once jslirp serves, the pid
 * file is written, the ready descriptor gets its {@code 1} and systemd its
 * {@code READY=1}; when jslirp stops, systemd hears {@code STOPPING=1} and, once stopped,
 * the pid file goes. Each part is optional.
 *
 * <p>A pid file that cannot be written is an error (a supervisor relying on it would
 * never find jslirp); a ready descriptor or systemd socket that has gone away is logged,
 * since jslirp serves regardless.
 */
public final class Supervisor {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    private final PidFile pidFile;
    private final ReadyFd readyFd;
    private final SystemdNotify notify;
    private boolean pidFileWritten;

    /** Tells those given; any may be null. */
    public Supervisor(PidFile pidFile, ReadyFd readyFd, SystemdNotify notify) {
        this.pidFile = pidFile;
        this.readyFd = readyFd;
        this.notify = notify;
    }

    /**
     * jslirp serves: writes the pid file, signals the ready descriptor and systemd.
     *
     * @param status one line for systemd's status ({@code systemctl status})
     * @throws IOException if the pid file cannot be written
     */
    public void serving(String status) throws IOException {
        writePidFile();
        if (readyFd != null) {
            try {
                readyFd.signal();
            } catch (IOException e) {
                LOG.warn("{}", e.getMessage());
            }
        }
        if (notify != null) {
            try {
                notify.ready(status);
            } catch (IOException e) {
                LOG.warn("{}", e.getMessage());
            }
        }
    }

    /**
     * Writes the pid file now if there is one, ahead of {@link #serving}: {@code --runas}
     * writes it while still root, since the user it becomes may not write its directory.
     *
     * @throws IOException if the pid file cannot be written
     */
    public void writePidFile() throws IOException {
        if (pidFile != null && !pidFileWritten) {
            pidFile.write();
            pidFileWritten = true;
        }
    }

    /** jslirp begins to stop: tells systemd. */
    public void stopping() {
        if (notify != null) {
            try {
                notify.stopping();
            } catch (IOException e) {
                LOG.debug("{}", e.getMessage());
            }
        }
    }

    /** jslirp has stopped: removes the pid file. */
    public void stopped() {
        if (pidFile != null) {
            pidFile.remove();
        }
    }
}
