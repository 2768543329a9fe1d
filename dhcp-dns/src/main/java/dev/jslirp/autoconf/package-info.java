/**
 * IPv6 autoconfiguration of the guest: router advertisements for stateless address
 * autoconfiguration ({@link dev.jslirp.autoconf.RouterAdvertiser}, RFC 4861 and 4862,
 * with DNS options of RFC 8106) and the stateless DHCPv6 server
 * ({@link dev.jslirp.autoconf.Dhcpv6Server}, RFC 8415 as RFC 3736 profiles it), what
 * QEMU's {@code -netdev user} gives an IPv6 guest.
 */
package dev.jslirp.autoconf;
