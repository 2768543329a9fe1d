package dev.jslirp.nat.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FlowTableTest {
    private record Key(long a, long b) {
    }

    @Test
    void behavesLikeAHashMapThroughGrowthAndManyRemovals() {
        FlowTable<Integer> table = new FlowTable<>();
        Map<Key, Integer> model = new HashMap<>();
        Random r = new Random(42);
        for (int op = 0; op < 200_000; op++) {
            // A small key space: long probe runs, many hits, removals inside runs.
            Key k = new Key(FlowTable.endpoint(0x0a00020f, 1000 + r.nextInt(40)),
                    FlowTable.endpoint(0x7f000001 + r.nextInt(3), 53 + r.nextInt(20)));
            if (r.nextInt(3) == 0) {
                assertThat(table.remove(k.a(), k.b())).isEqualTo(model.remove(k));
            } else if (!model.containsKey(k)) {
                table.put(k.a(), k.b(), op);
                model.put(k, op);
            }
            if (op % 1000 == 0) {
                for (Map.Entry<Key, Integer> e : model.entrySet()) {
                    assertThat(table.get(e.getKey().a(), e.getKey().b())).isEqualTo(e.getValue());
                }
            }
            assertThat(table.get(k.a(), k.b())).isEqualTo(model.get(k));
            assertThat(table.size()).isEqualTo(model.size());
        }
    }

    @Test
    void keyHalvesAreNotInterchangeable() {
        FlowTable<String> table = new FlowTable<>();
        long guest = FlowTable.endpoint(0x0a00020f, 40000);
        long remote = FlowTable.endpoint(0x0a000202, 53);
        table.put(guest, remote, "flow");
        assertThat(table.get(remote, guest)).isNull();
        assertThat(table.contains(guest, remote)).isTrue();
        assertThatThrownBy(() -> table.put(guest, remote, "again")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void clearEmptiesTheTable() {
        FlowTable<String> table = new FlowTable<>();
        for (int i = 0; i < 1000; i++) {
            table.put(i, -i, "v" + i);
        }
        table.clear();
        assertThat(table.size()).isZero();
        assertThat(table.get(5, -5)).isNull();
        table.put(5, -5, "back");
        assertThat(table.get(5, -5)).isEqualTo("back");
    }

    @Test
    void endpointPacksAddressAndPortWithoutSignExtension() {
        assertThat(FlowTable.endpoint(0xffffffff, 0xffff)).isEqualTo(0xffff_ffff_ffffL);
        assertThat(FlowTable.endpoint(0x0a000202, 53)).isEqualTo((0x0a000202L << 16) | 53);
    }
}
