/**
 * The control socket of a running jslirp ({@code --control}): QEMU's monitor commands
 * for user networking, {@code hostfwd_add}, {@code hostfwd_remove} and
 * {@code info usernet}, plus {@code info stats}, over a line-based text protocol on a
 * unix (or loopback TCP) socket, served on the network's event loop
 * ({@link dev.jslirp.control.ControlServer}); and the client that sends them,
 * {@code jslirp control ADDR COMMAND} ({@link dev.jslirp.control.ControlClientCommand}).
 *
 * <p>Example session ({@code >} what the client sends, the rest the server's reply):
 * <pre>
 * &gt; hostfwd_add tcp::2222-:22
 * host forwarding rule for tcp::2222-:22 added: listening on 0.0.0.0:2222
 * OK
 * &gt; info usernet
 * Hub -1 (n0):
 *   Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ
 *   TCP[HOST_FORWARD]  -1               *  2222       10.0.2.15    22     0     0
 *   TCP[ESTABLISHED]   -1        10.0.2.2 49152       10.0.2.15    22     0     0
 * OK
 * &gt; hostfwd_remove tcp::2222
 * host forwarding rule for tcp::2222 removed
 * OK
 * &gt; hostfwd_remove tcp::2222
 * ERROR: host forwarding rule for tcp::2222 not found
 * </pre>
 */
package dev.jslirp.control;
