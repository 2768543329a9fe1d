package dev.jslirp.transport.dgram;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.transport.ChannelFrameSink;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TransportCounter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Frames for the guest as datagrams to QEMU's socket, one bare frame per datagram
 * (QEMU's {@code -netdev dgram} and {@code -netdev socket,udp=}).
 */
final class DatagramFrameSink extends ChannelFrameSink {
    private final SocketAddress peer;

    DatagramFrameSink(Channel channel, GuestNetwork network, Counters<TransportCounter> counters, LinkBuffers buffers,
                      SocketAddress peer) {
        super(channel, network, counters, buffers);
        this.peer = peer;
    }

    /** An envelope addressed to QEMU, owning {@code frame}. */
    @Override
    protected Object toMessage(ByteBuf frame) {
        if (peer instanceof DomainSocketAddress unix) {
            return new DomainDatagramPacket(frame, unix);
        }
        return new DatagramPacket(frame, (InetSocketAddress) peer);
    }
}
