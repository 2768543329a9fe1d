package dev.jslirp.nat.guestfwd;

/**
 * Counters of the guest forwards, registered as {@code "nat.guestfwd"}. Connections that
 * fail on the host side count under {@code nat.tcp} like any other host connect
 * ({@code HOST_REFUSED}, {@code HOST_CONNECT_FAILED}, {@code HOST_CONNECT_TIMEOUT}).
 */
public enum GuestfwdCounter {
    /** Guest connections to a guest forward, each a host connection or process. */
    CONNECTS,
    /** {@code cmd:} processes started. */
    COMMANDS_STARTED,
    /** {@code cmd:} processes that could not be started (the guest got a RST). */
    COMMAND_START_FAILED,
    /** {@code cmd:} connections refused because the bound on processes running at once was reached. */
    PROCESS_LIMIT,
    /** Processes whose connection ended that exited with a status (by themselves, or handling our SIGTERM). */
    COMMANDS_EXITED,
    /** Processes still running when their connection ended, then ended by our SIGTERM or SIGKILL. */
    COMMANDS_KILLED,
    /** Lines a process wrote to its standard error, logged. */
    STDERR_LINES,
    /** Lines of standard error dropped by the log's rate limit (the process is never stalled). */
    STDERR_LINES_DROPPED,
}
