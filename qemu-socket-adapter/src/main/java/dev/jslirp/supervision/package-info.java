/**
 * Running under a supervisor (systemd, rootlesskit, podman, a shell script): a pid file
 * ({@link dev.jslirp.supervision.PidFile}), a readiness descriptor as slirp4netns's
 * {@code -r} ({@link dev.jslirp.supervision.ReadyFd}) and systemd's {@code sd_notify}
 * protocol ({@link dev.jslirp.supervision.SystemdNotify}). Each is told once jslirp serves,
 * and cleaned up or told again when it stops. Before that, {@code --runas} gives up root
 * ({@link dev.jslirp.supervision.PrivilegeDrop}, to the user
 * {@link dev.jslirp.supervision.RunAs} names).
 */
package dev.jslirp.supervision;
