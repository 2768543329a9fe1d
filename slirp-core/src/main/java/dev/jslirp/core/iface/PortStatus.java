package dev.jslirp.core.iface;

import dev.jslirp.core.config.PortOptions;

/**
 * One port of a network's switch as {@code info ports} shows it: a snapshot taken on the
 * event loop.
 *
 * @param id          the port's number ({@link dev.jslirp.core.spi.GuestPort#id()})
 * @param name        what it is (its transport)
 * @param options     isolation and restrictions
 * @param mac         the source MAC of its guest's last frame, or 0 before the first
 * @param macs        MACs the switch learned on it
 * @param addresses   IPv4 and IPv6 addresses bound to it
 * @param framesIn    frames from its guest
 * @param bytesIn     bytes of those
 * @param framesOut   frames to its guest (the network's and other guests')
 * @param bytesOut    bytes of those
 * @param dropsIn     frames from its guest dropped by the switch or the core's checks
 * @param dropsOut    frames for its guest dropped: floods skipped while it was not
 *                    writable, and what its transport dropped (queue full, peer gone)
 * @param queuedBytes bytes waiting in its transport's queue, -1 if the transport does not say
 * @param writable    whether its transport takes more
 */
public record PortStatus(int id, String name, PortOptions options, long mac, int macs, int addresses,
                         long framesIn, long bytesIn, long framesOut, long bytesOut, long dropsIn, long dropsOut,
                         long queuedBytes, boolean writable) {
    static PortStatus of(SwitchPort p) {
        return new PortStatus(p.id, p.options.name(), p.options, p.lastMac, p.macs, p.addresses, p.framesIn,
                p.bytesIn, p.framesOut, p.bytesOut, p.dropsIn, p.dropsOut + p.sink.droppedFrames(),
                p.sink.queuedBytes(), p.isWritable());
    }
}
