/**
 * The tap transport: jslirp's network for a Linux tap device, in jslirp's own network
 * namespace ({@code --tap NAME}) or created inside another one ({@code --netns}), the
 * way slirp4netns and pasta give a namespace user-mode networking.
 *
 * <ul>
 *   <li>{@link dev.jslirp.transport.tap.TapTransport}: start-up steps, lifetime.</li>
 *   <li>{@link dev.jslirp.transport.tap.TapLink}: the tap's descriptor on the epoll
 *       event loop (Netty 4.2 {@code EpollIoHandle}), reading frames into pooled
 *       batches.</li>
 *   <li>{@link dev.jslirp.transport.tap.TapFrameSink}: one write(2) per frame for the
 *       guest, a bounded queue and writability on EAGAIN.</li>
 *   <li>{@link dev.jslirp.transport.tap.StaticAddresses} ({@code --netns-static}) and
 *       {@code Ipv6Sysctls}: what the namespace is given, per family.</li>
 *   <li>{@link dev.jslirp.transport.tap.TapDevice},
 *       {@link dev.jslirp.transport.tap.NetworkNamespace}, {@code LinkControl},
 *       {@code LibC}, {@code IfReq}: the native part, a handful of libc calls through
 *       JNA at start-up; constants with their Linux headers.</li>
 * </ul>
 *
 * <h2>The usual flow (as root)</h2>
 * <pre>
 * ip netns add ns1
 * jslirp --netns ns1 --hostfwd tcp::8080-:80 &amp;     # creates tap0 in ns1, MTU set, link up
 * ip netns exec ns1 udhcpc -i tap0                  # gets 10.0.2.15, router 10.0.2.2, DNS 10.0.2.3
 * ip netns exec ns1 ping 10.0.2.2
 * ip netns exec ns1 ping -6 fec0::2                 # IPv6 by SLAAC from jslirp's router advertisements
 * </pre>
 *
 * <h2>Without root</h2>
 * <p>As with slirp4netns: the namespace belongs to a user namespace the user made, and
 * jslirp runs inside that user namespace (which gives it the capabilities over the
 * network namespace) while its host sockets stay in the original network namespace.
 * The user needs access to {@code /dev/net/tun} (mode 0666 on most distributions).
 * <pre>
 * unshare --user --map-root-user --net sleep infinity &amp;
 * nsenter -t $! -U --preserve-credentials jslirp --netns $! --netns-static
 * </pre>
 * jslirp exits when the namespace goes away (the process exits, or
 * {@code ip netns delete}).
 */
package dev.jslirp.transport.tap;
