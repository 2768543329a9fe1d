/**
 * The {@code jslirp} command ({@link dev.jslirp.cli.JslirpCommand}): command-line
 * parsing with QEMU's {@code -netdev user} keys as options or as one QEMU-style string,
 * checking into the network, DHCP, DNS and NAT configurations, and running a network
 * with its QEMU transport until SIGINT/SIGTERM.
 */
package dev.jslirp.cli;
