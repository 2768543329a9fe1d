package dev.jslirp.nat.flow;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdleListTest {
    private static final class Entry extends IdleList.Entry {
    }

    @Test
    void touchMovesAnEntryToTheEndAndRemoveUnlinksIt() {
        IdleList<Entry> list = new IdleList<>();
        Entry a = new Entry();
        Entry b = new Entry();
        Entry c = new Entry();
        list.add(a, 10);
        list.add(b, 20);
        list.add(c, 30);
        assertThat(list.oldest()).isSameAs(a);
        assertThat(list.newer(a)).isSameAs(b);

        list.touch(a, 40);
        assertThat(list.oldest()).isSameAs(b);
        assertThat(list.newer(c)).isSameAs(a);
        assertThat(a.lastActiveNanos()).isEqualTo(40);
        list.touch(a, 50); // already the newest
        assertThat(list.size()).isEqualTo(3);
        assertThat(a.list()).isSameAs(list);

        list.remove(b);
        assertThat(list.oldest()).isSameAs(c);
        assertThat(b.list()).isNull();
        list.remove(a);
        assertThat(list.oldest()).isSameAs(c);
        assertThat(list.newer(c)).isNull();
        list.remove(c);
        assertThat(list.oldest()).isNull();
        assertThat(list.size()).isZero();
        list.add(b, 60);
        assertThat(list.oldest()).isSameAs(b);
    }
}
