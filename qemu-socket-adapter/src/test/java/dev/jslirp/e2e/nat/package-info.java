/**
 * End-to-end tests of the NAT with a real Linux guest: its own TCP (busybox wget, nc, httpd) and
 * UDP ({@code udptool}, compiled into the guest image) through jslirp and, for comparison,
 * through QEMU's own {@code -netdev user} (libslirp).
 *
 * <h2>The classes</h2>
 * <ul>
 *   <li>{@link dev.jslirp.e2e.nat.NatGuestComparison}: the checks, written once: multi-megabyte
 *       transfers both ways (SHA-256 on both ends), half-close both ways, 50 connections in a
 *       row and 20 at once, refused and reset connections, a slow reader's closed window,
 *       a host that speaks first and closes, UDP echo with fragmented 4000-byte datagrams
 *       (counted on the wire), TCP and UDP port forwards, a "real world" host in a namespace
 *       of its own, {@code restrict=on}. Run by {@link dev.jslirp.e2e.nat.JslirpNatGuestTest}
 *       (in-process jslirp on one event loop, plus {@code --no-host-loopback} and counters) and
 *       {@link dev.jslirp.e2e.nat.LibslirpNatGuestTest} (inside a
 *       {@link dev.jslirp.e2e.NetnsSandbox}); each difference is an {@code expected...} method
 *       with its reason.</li>
 *   <li>Host side, in the namespace the backend's host sockets live in ({@link
 *       dev.jslirp.e2e.nat.HostSide}): {@link dev.jslirp.e2e.nat.BlobHttpServer},
 *       {@link dev.jslirp.e2e.nat.Sha256Sink}, {@link dev.jslirp.e2e.nat.UdpEchoServer},
 *       {@link dev.jslirp.e2e.nat.BannerServer}, and the clients of the forwarded ports.</li>
 *   <li>{@link dev.jslirp.e2e.nat.PeerHost}: a namespace at 198.51.100.2 (TEST-NET-2) joined by
 *       a veth pair, with its servers in a process of their own.</li>
 *   <li>Guest side: {@link dev.jslirp.e2e.nat.NatShell}; evidence from the wire:
 *       {@link dev.jslirp.e2e.nat.LinkCapture} (QEMU's filter-dump, headers only).</li>
 * </ul>
 *
 * <h2>Ground rules</h2>
 * <p>One guest per class, reused by every test, each test configuring the one card it uses.
 * Traffic goes only to loopback addresses and to namespaces the tests create; every namespace,
 * link and process is removed through its own handle, also after a failure.
 */
package dev.jslirp.e2e.nat;
