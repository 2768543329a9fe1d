/**
 * End-to-end tests of IPv6 with a real Linux guest: its own kernel's SLAAC from the router
 * advertisements, ICMPv6, TCP, UDP and DNS over IPv6 to services the test runs on the host's
 * ::1, and a port forward from the host's ::1; written once ({@link
 * dev.jslirp.e2e.ipv6.Ipv6GuestComparison}) and run against jslirp ({@link
 * dev.jslirp.e2e.ipv6.JslirpIpv6GuestTest}) and QEMU's own {@code -netdev user} ({@link
 * dev.jslirp.e2e.ipv6.LibslirpIpv6GuestTest}), on a virtio-net and an e1000 card.
 */
package dev.jslirp.e2e.ipv6;
