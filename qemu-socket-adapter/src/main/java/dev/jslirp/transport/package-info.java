/**
 * QEMU transports: how a guest's Ethernet frames travel between QEMU and a jslirp
 * network.
 *
 * <h2>Wire formats (QEMU's net/stream.c, net/socket.c, net/dgram.c, net/net.c)</h2>
 * <ul>
 *   <li>{@code -netdev stream} (QEMU 7.2 and later) and the legacy {@code -netdev socket}
 *       with {@code connect=}/{@code listen=}: a byte stream (unix or TCP) in which each
 *       frame is preceded by its length as a 4-byte big-endian integer not counting
 *       itself; no virtio-net header. QEMU's reader ({@code net_fill_rstate}) drops the
 *       connection on a frame longer than {@code NET_BUFSIZE} = 4096 + 65536 bytes. A
 *       QEMU in server mode serves one client at a time; in client mode it sets
 *       TCP_NODELAY and may reconnect ({@code reconnect=} seconds in 8.0..10.1,
 *       {@code reconnect-ms=} since 9.2). When the guest's receive queue is full QEMU
 *       stops reading the socket: that is the backpressure jslirp sees.
 *       See {@link dev.jslirp.transport.stream}.</li>
 *   <li>{@code -netdev dgram} (UDP or unix datagram sockets) and the legacy
 *       {@code -netdev socket,udp=}: one bare frame per datagram. See
 *       {@link dev.jslirp.transport.dgram}.</li>
 * </ul>
 *
 * <h2>QEMU command lines for each jslirp mode</h2>
 * <pre>
 * jslirp --listen unix:/tmp/j.sock        -netdev stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/j.sock
 * jslirp --listen tcp:127.0.0.1:5555      -netdev stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=5555
 *                                         or -netdev socket,id=n0,connect=127.0.0.1:5555
 * jslirp --connect unix:/tmp/q.sock       -netdev stream,id=n0,server=on,addr.type=unix,addr.path=/tmp/q.sock
 * jslirp --connect tcp:127.0.0.1:5555     -netdev stream,id=n0,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=5555
 *                                         or -netdev socket,id=n0,listen=127.0.0.1:5555
 * jslirp --dgram udp:127.0.0.1:5555,remote=127.0.0.1:5556
 *                                         -netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=5556,remote.type=inet,remote.host=127.0.0.1,remote.port=5555
 *                                         or -netdev socket,id=n0,udp=127.0.0.1:5555,localaddr=127.0.0.1:5556
 * jslirp --dgram unix:/tmp/j.dgram,remote=/tmp/q.dgram
 *                                         -netdev dgram,id=n0,local.type=unix,local.path=/tmp/q.dgram,remote.type=unix,remote.path=/tmp/j.dgram
 * </pre>
 * plus {@code -device virtio-net-pci,netdev=n0} (any NIC model). Each transport says
 * its own form through {@link dev.jslirp.transport.GuestTransport#qemuNetdevs}.
 *
 * <h2>Threading and buffers</h2>
 * <p>A transport's channels register on its network's event loop, and the network's
 * host sockets too ({@link dev.jslirp.transport.IoTransport#hostChannels()}): one
 * thread owns a guest, with no locks on the packet path. Frames from QEMU are slices of
 * the read buffer handed to {@link dev.jslirp.core.iface.GuestNetwork#receiveFromGuest},
 * which releases them; frames to QEMU are written as the network made them, the length
 * prefix going into the headroom in front, and flushed once per event-loop turn.
 */
package dev.jslirp.transport;
