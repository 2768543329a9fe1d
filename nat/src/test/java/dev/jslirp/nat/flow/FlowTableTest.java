package dev.jslirp.nat.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.wire.IpAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FlowTableTest {
    private static final IpAddress GUEST4 = IpAddress.parse("10.0.2.15");
    private static final IpAddress GUEST6 = IpAddress.parse("fec0::5054:ff:fe12:3456");

    private record Key(IpAddress guest, int guestPort, IpAddress remote, int remotePort) {
        Integer get(FlowTable<Integer> t) {
            return t.get(guest.hi(), guest.lo(), guestPort, remote.hi(), remote.lo(), remotePort);
        }
    }

    @Test
    void behavesLikeAHashMapThroughGrowthAndManyRemovalsWithBothFamilies() {
        FlowTable<Integer> table = new FlowTable<>();
        Map<Key, Integer> model = new HashMap<>();
        Random r = new Random(42);
        IpAddress[] remotes = {IpAddress.parse("127.0.0.1"), IpAddress.parse("127.0.0.2"), IpAddress.parse("::1"),
            IpAddress.parse("fec0::2"), IpAddress.parse("10.0.2.2")};
        for (int op = 0; op < 200_000; op++) {
            // A small key space: long probe runs, many hits, removals inside runs.
            Key k = new Key(r.nextBoolean() ? GUEST4 : GUEST6, 1000 + r.nextInt(30),
                    remotes[r.nextInt(remotes.length)], 53 + r.nextInt(10));
            if (r.nextInt(3) == 0) {
                assertThat(table.remove(k.guest().hi(), k.guest().lo(), k.guestPort(), k.remote().hi(),
                        k.remote().lo(), k.remotePort())).isEqualTo(model.remove(k));
            } else if (!model.containsKey(k)) {
                table.put(k.guest().hi(), k.guest().lo(), k.guestPort(), k.remote().hi(), k.remote().lo(),
                        k.remotePort(), op);
                model.put(k, op);
            }
            if (op % 1000 == 0) {
                for (Map.Entry<Key, Integer> e : model.entrySet()) {
                    assertThat(e.getKey().get(table)).isEqualTo(e.getValue());
                }
            }
            assertThat(k.get(table)).isEqualTo(model.get(k));
            assertThat(table.size()).isEqualTo(model.size());
        }
    }

    @Test
    void endsAreNotInterchangeable() {
        FlowTable<String> table = new FlowTable<>();
        IpAddress remote = IpAddress.parse("10.0.2.2");
        table.put(GUEST4.hi(), GUEST4.lo(), 40000, remote.hi(), remote.lo(), 53, "flow");
        assertThat(table.get(remote.hi(), remote.lo(), 53, GUEST4.hi(), GUEST4.lo(), 40000)).isNull();
        assertThat(table.get(GUEST4.hi(), GUEST4.lo(), 53, remote.hi(), remote.lo(), 40000)).isNull();
        assertThat(table.contains(GUEST4.hi(), GUEST4.lo(), 40000, remote.hi(), remote.lo(), 53)).isTrue();
        assertThatThrownBy(() -> table.put(GUEST4.hi(), GUEST4.lo(), 40000, remote.hi(), remote.lo(), 53, "again"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void clearEmptiesTheTable() {
        FlowTable<String> table = new FlowTable<>();
        for (int i = 0; i < 1000; i++) {
            table.put(0, i, i, 0, -i, 1, "v" + i);
        }
        table.clear();
        assertThat(table.size()).isZero();
        assertThat(table.get(0, 5, 5, 0, -5, 1)).isNull();
        table.put(0, 5, 5, 0, -5, 1, "back");
        assertThat(table.get(0, 5, 5, 0, -5, 1)).isEqualTo("back");
    }
}
