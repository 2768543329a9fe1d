/**
 * QEMU's datagram transport ({@code -netdev dgram}, {@code -netdev socket,udp=}): one
 * bare Ethernet frame per UDP or unix datagram
 * ({@link dev.jslirp.transport.dgram.DatagramTransport}).
 */
package dev.jslirp.transport.dgram;
