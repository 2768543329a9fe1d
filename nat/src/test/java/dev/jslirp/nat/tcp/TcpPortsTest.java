package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.QueueSink;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Two guests on one network, each a port: a TCP flow belongs to the port of the guest
 * that opened it, so one guest that stops reading pauses only its own flows, and one
 * that leaves ends only its own.
 */
class TcpPortsTest {
    private static final long MAC_B = MacAddress.parse("52:54:00:12:34:57");
    private static final int IP_B = Ipv4Address.parse("10.0.2.16");

    /** Guest b's side of one connection to the gateway, scripted by hand on its own port. */
    private static final class OtherGuest {
        final EmbeddedRig r;
        final QueueSink sink = new QueueSink();
        final GuestPort port;
        int sndNxt = 5000;
        int rcvNxt;

        OtherGuest(EmbeddedRig r) {
            this.r = r;
            this.port = r.g.attachAnother(sink);
        }

        void send(java.util.function.Consumer<GuestFrames.Tcp> spec) {
            ByteBuf f = GuestFrames.tcp(IP_B, EmbeddedRig.REMOTE, t -> {
                t.from(41000).to(EmbeddedRig.PORT).window(65535);
                spec.accept(t);
            });
            r.g.send(port, GuestFrames.from(MAC_B, GuestFrames.GATEWAY_MAC, f));
        }

        Seg expect() {
            r.g.runPending();
            ByteBuf f = sink.poll();
            assertThat(f).as("a segment for guest b").isNotNull();
            return Seg.parse(f);
        }

        /** Connects; the host side accepts. Returns the host socket. */
        FakeHost.Socket connect() {
            send(t -> t.seq(sndNxt).flags(TcpPacket.SYN).mss(1460));
            FakeHost.Socket s = r.host.last();
            s.accept();
            Seg synAck = expect();
            assertThat(synAck.flags & (TcpPacket.SYN | TcpPacket.ACK)).isEqualTo(TcpPacket.SYN | TcpPacket.ACK);
            sndNxt++;
            rcvNxt = synAck.seq + 1;
            send(t -> t.seq(sndNxt).ack(rcvNxt));
            return s;
        }

        void writable(boolean w) {
            sink.setWritable(w);
            r.g.onLoop(() -> r.g.network().guestWritabilityChanged(port, w));
        }
    }

    @Test
    void aGuestThatStopsReadingPausesOnlyItsOwnFlows() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp a = r.established();
            FakeHost.Socket aSocket = r.socket();
            OtherGuest b = new OtherGuest(r);
            FakeHost.Socket bSocket = b.connect();
            b.writable(false);

            bSocket.send(new byte[1000]);
            aSocket.send(Arrays.copyOf("for a".getBytes(), 1000));
            assertThat(a.receive(1000)).startsWith("for a".getBytes());
            r.g.runPending();
            assertThat(b.sink.size()).as("nothing sent towards the guest that stopped reading").isZero();
            assertThat(bSocket.readRequested).as("b's host socket not read meanwhile").isFalse();

            b.writable(true);
            Seg data = b.expect();
            assertThat(data.payload).hasSize(1000);
            b.sink.releaseAll();
        }
    }

    @Test
    void aGuestThatLeavesEndsOnlyItsOwnFlows() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp a = r.established();
            FakeHost.Socket aSocket = r.socket();
            OtherGuest b = new OtherGuest(r);
            FakeHost.Socket bSocket = b.connect();
            assertThat(r.nat.flowCount()).isEqualTo(2);

            r.g.onLoop(() -> r.g.network().detach(b.port));
            assertThat(bSocket.aborted).isTrue();
            assertThat(aSocket.aborted).isFalse();
            assertThat(r.nat.flowCount()).isEqualTo(1);
            assertThat(r.count(TcpCounter.ABORTED_DETACH)).isEqualTo(1);

            a.send("still here".getBytes());
            r.g.runPending();
            assertThat(new String(aSocket.receivedBytes())).isEqualTo("still here");
            b.sink.releaseAll();
        }
    }
}
