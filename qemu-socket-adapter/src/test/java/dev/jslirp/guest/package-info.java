/**
 * A real Linux guest under QEMU for jslirp's end-to-end tests.
 *
 * <p>{@link dev.jslirp.guest.GuestImage} builds (once, cached) a tiny guest from Debian packages:
 * Debian's kernel and an initramfs with a static busybox. {@link dev.jslirp.guest.QemuGuest}
 * boots it attached to whatever {@code -netdev} a test names (QEMU's own {@code user} network, or
 * jslirp through {@code stream}/{@code dgram}/{@code socket}), runs shell commands on it through
 * the serial console and returns their exit code and output.
 *
 * <p>Typical use:
 *
 * <pre>{@code
 * try (QemuGuest guest = QemuGuest.builder()
 *         .name("my-test")
 *         .netdev("stream,id=n0,server=off,addr.type=unix,addr.path=" + socketPath)
 *         .start()) {
 *     guest.runOk("udhcpc -i eth0 -q -n");           // or: ip addr add ...; guest.linkUp("eth0")
 *     Map<String, String> lease = guest.dhcpLease("eth0");
 *     GuestResult r = guest.run("ping -c 1 -W 5 10.0.2.2", Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>Host needs: Debian package {@code qemu-system-x86} (and apt with updated package lists for
 * the first build). Environment: {@code JSLIRP_GUEST_CACHE} (image cache directory),
 * {@code JSLIRP_GUEST_ACCEL} ({@code kvm} or {@code tcg}, overrides detection),
 * {@code JSLIRP_QEMU} (QEMU binary). Console transcripts go to {@code target/guest-logs/}
 * (system property {@code jslirp.guest.logDir} overrides).
 */
package dev.jslirp.guest;
