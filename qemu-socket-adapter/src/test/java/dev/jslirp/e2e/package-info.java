/**
 * End-to-end tests: a real Linux guest ({@link dev.jslirp.guest.QemuGuest}) uses jslirp with its
 * own kernel, DHCP client, resolver and ping, and the same checks run against QEMU's own
 * {@code -netdev user} (libslirp) to pin down where the two behave alike and where they differ.
 *
 * <h2>The classes</h2>
 * <ul>
 *   <li>{@link dev.jslirp.e2e.UserNetworkComparison}: ARP, ICMP, DHCP (options, renew, release,
 *       {@code restrict=on}, {@code net=}), DNS through the guest's resolver, floods; run by
 *       {@link dev.jslirp.e2e.JslirpUserNetworkTest} (in-process jslirp, plus jslirp-only checks:
 *       counters, lease table, local names, MTU) and {@link dev.jslirp.e2e.LibslirpUserNetworkTest}
 *       (inside a {@link dev.jslirp.e2e.NetnsSandbox}).</li>
 *   <li>{@link dev.jslirp.e2e.JslirpTransportsGuestTest}: every QEMU transport, both NIC models.</li>
 *   <li>{@link dev.jslirp.e2e.JslirpRestartGuestTest}: a VM restart against a listening jslirp.</li>
 *   <li>{@link dev.jslirp.e2e.JslirpCliGuestTest}: the {@code ./jslirp} launcher as a user runs it.</li>
 *   <li>{@link dev.jslirp.e2e.DnsOverTcpGuestTest}: DNS over the guest's TCP (needs the NAT's TCP
 *       half on the jslirp side).</li>
 *   <li>{@code dev.jslirp.e2e.nat}: the NAT (TCP, UDP, port forwards, {@code restrict=on}, a
 *       "real world" host in a namespace), jslirp against libslirp.</li>
 * </ul>
 *
 * <h2>Ground rules</h2>
 * <ul>
 *   <li>One boot per test class where possible: a guest carries several cards, each on a network
 *       of its own ({@link dev.jslirp.e2e.GuestNic}), and each test starts from unconfigured
 *       cards.</li>
 *   <li>jslirp runs in the test JVM ({@link dev.jslirp.e2e.InProcessJslirp}), so Netty's leak
 *       detector (paranoid, failing the class) watches its buffers; the CLI test runs it as a
 *       process with the leak detector on and checks its output.</li>
 *   <li>Network rule: the guests' DNS goes to an {@link dev.jslirp.e2e.E2eDnsServer} on 127.0.0.1
 *       (jslirp's upstream) or, for libslirp, which always uses resolv.conf, on the 127.0.0.1 of a
 *       network namespace the test creates. Nothing reaches this machine's resolver or any
 *       address outside loopback and the test's namespaces.</li>
 *   <li>Processes (QEMU, the namespace's DNS server, the CLI) are stopped through their own
 *       process handles.</li>
 * </ul>
 */
package dev.jslirp.e2e;
