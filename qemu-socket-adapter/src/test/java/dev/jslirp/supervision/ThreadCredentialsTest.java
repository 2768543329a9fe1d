package dev.jslirp.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Credentials read from {@code /proc/.../status} in the layout of proc(5). */
class ThreadCredentialsTest {
    /** A root thread's lines as Linux 6.1 writes them (other lines left out). */
    static final String ROOT = String.join("\n",
            "Name:\tjava",
            "Umask:\t0022",
            "Uid:\t0\t0\t0\t0",
            "Gid:\t0\t0\t0\t0",
            "FDSize:\t256",
            "Groups:\t0 4 ",
            "CapInh:\t0000000000000000",
            "CapPrm:\t000001ffffffffff",
            "CapEff:\t000001ffffffffff",
            "CapBnd:\t000001ffffffffff",
            "CapAmb:\t0000000000000000",
            "");

    /** The same thread after dropping to nobody. */
    static final String NOBODY = String.join("\n",
            "Name:\tepollEventLoopG",
            "Uid:\t65534\t65534\t65534\t65534",
            "Gid:\t65534\t65534\t65534\t65534",
            "Groups:\t",
            "CapPrm:\t0000000000000000",
            "CapEff:\t0000000000000000",
            "CapAmb:\t0000000000000000",
            "");

    /** An unprivileged user's thread. */
    static String user(long uid, long gid) {
        return "Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\nGid:\t" + gid + "\t" + gid + "\t" + gid + "\t"
                + gid + "\nGroups:\t\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n";
    }

    @Test
    void rootThreadHasEveryIdZeroItsGroupsAndCapabilities() throws Exception {
        ThreadCredentials c = ThreadCredentials.parse(ROOT);
        assertThat(c.uids()).containsExactly(0, 0, 0, 0);
        assertThat(c.gids()).containsExactly(0, 0, 0, 0);
        assertThat(c.groups()).containsExactly(0, 4);
        assertThat(c.capEff()).isEqualTo(new BigInteger("1ffffffffff", 16));
        assertThat(c.canChangeIdentity()).isTrue();
        assertThat(c.differenceFrom(65534, 65534)).isEqualTo("Uid 0 0 0 0, Gid 0 0 0 0, Groups 0 4, "
                + "CapPrm 1ffffffffff, CapEff 1ffffffffff");
    }

    @Test
    void droppedThreadDiffersInNothing() throws Exception {
        ThreadCredentials c = ThreadCredentials.parse(NOBODY);
        assertThat(c.euid()).isEqualTo(65534);
        assertThat(c.groups()).isEmpty();
        assertThat(c.canChangeIdentity()).isFalse();
        assertThat(c.differenceFrom(65534, 65534)).isEmpty();
        assertThat(c.differenceFrom(65534, 100)).isEqualTo("Gid 65534 65534 65534 65534");
    }

    @Test
    void oneIdLeftBehindIsReported() throws Exception {
        ThreadCredentials c = ThreadCredentials.parse(NOBODY.replace("Uid:\t65534\t65534\t65534\t65534",
                "Uid:\t65534\t65534\t0\t65534"));
        assertThat(c.differenceFrom(65534, 65534)).isEqualTo("Uid 65534 65534 0 65534");
    }

    @Test
    void capSetuidWithoutCapSetgidCannotChangeIdentity() throws Exception {
        // Bit 7 (CAP_SETUID) alone: 0x80.
        assertThat(ThreadCredentials.parse(user(1000, 1000).replace("CapEff:\t0000000000000000",
                "CapEff:\t0000000000000080")).canChangeIdentity()).isFalse();
        assertThat(ThreadCredentials.parse(user(1000, 1000).replace("CapEff:\t0000000000000000",
                "CapEff:\t00000000000000c0")).canChangeIdentity()).isTrue();
    }

    @Test
    void statusWithoutTheLinesItNeedsIsAnError() {
        assertThatThrownBy(() -> ThreadCredentials.parse("Name:\tjava\nUid:\t0\t0\t0\t0\n"))
                .isInstanceOf(IOException.class).hasMessageContaining("without the Uid, Gid, Groups, CapPrm and CapEff");
        assertThatThrownBy(() -> ThreadCredentials.parse(ROOT.replace("Uid:\t0\t0\t0\t0", "Uid:\tx\t0\t0\t0")))
                .isInstanceOf(IOException.class).hasMessageContaining("malformed Uid line");
        assertThatThrownBy(() -> ThreadCredentials.parse(ROOT.replace("CapEff:\t000001ffffffffff", "CapEff:\tzz")))
                .isInstanceOf(IOException.class).hasMessageContaining("malformed CapEff line");
    }

    @Test
    void everyThreadOfThisProcessIsRead() throws Exception {
        List<ThreadCredentials.Named> all = ThreadCredentials.allThreads();
        long tasks;
        try (var s = Files.list(Path.of("/proc/self/task"))) {
            tasks = s.count();
        }
        // Threads come and go in a JVM (JIT, GC): the count is near, not equal.
        assertThat(all).hasSizeGreaterThan(1);
        assertThat((long) all.size()).isBetween(tasks - 10, tasks + 10);
        assertThat(all).extracting(ThreadCredentials.Named::name).contains("VM Thread");
        long uid = ThreadCredentials.current().euid();
        assertThat(all).allSatisfy(t -> assertThat(t.credentials().euid()).isEqualTo(uid));
    }
}
