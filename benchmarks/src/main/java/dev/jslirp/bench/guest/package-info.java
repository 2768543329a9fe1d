/**
 * Throughput of a real QEMU guest through jslirp ({@code -netdev stream}) against QEMU's own
 * {@code -netdev user} (libslirp): {@link dev.jslirp.bench.guest.GuestThroughput}, run by
 * benchmarks/guest/run-guest-throughput.sh. Guests come from qemu-socket-adapter's test
 * fixture ({@link dev.jslirp.guest.QemuGuest}); traffic goes to 127.0.0.1 only.
 */
package dev.jslirp.bench.guest;
