package dev.jslirp.nat.udp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.spi.GuestPacket;
import org.junit.jupiter.api.Test;

class IdleListTest {
    private static final class Flow extends UdpFlow {
        Flow(int port) {
            super(dev.jslirp.core.wire.IpAddress.ipv4(1), port, dev.jslirp.core.wire.IpAddress.ipv4(2), 53);
        }

        @Override
        void fromGuest(GuestPacket packet) {
        }

        @Override
        void close() {
        }
    }

    @Test
    void touchMovesAFlowToTheEndAndRemoveUnlinksIt() {
        IdleList list = new IdleList();
        Flow a = new Flow(1);
        Flow b = new Flow(2);
        Flow c = new Flow(3);
        list.add(a, 10);
        list.add(b, 20);
        list.add(c, 30);
        assertThat(list.oldest()).isSameAs(a);

        list.touch(a, 40);
        assertThat(list.oldest()).isSameAs(b);
        assertThat(a.lastActiveNanos).isEqualTo(40);
        list.touch(a, 50); // already the newest
        assertThat(list.size()).isEqualTo(3);

        list.remove(b);
        assertThat(list.oldest()).isSameAs(c);
        list.remove(a);
        assertThat(list.oldest()).isSameAs(c);
        list.remove(c);
        assertThat(list.oldest()).isNull();
        assertThat(list.size()).isZero();
        list.add(b, 60);
        assertThat(list.oldest()).isSameAs(b);
    }
}
