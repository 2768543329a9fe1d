package dev.jslirp.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@code --runas USER[:GROUP]} resolved through libc's user and group databases, checked
 * against {@code id(1)} and {@code getent(1)}, which read the same databases independently.
 */
class RunAsTest {
    /** The output of {@code command}, trimmed; fails unless it exits 0. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }

    @Test
    void userNameResolvesToItsIdAndPrimaryGroup() throws Exception {
        long uid = Long.parseLong(run("id", "-u", "nobody"));
        long gid = Long.parseLong(run("id", "-g", "nobody"));
        String group = run("id", "-gn", "nobody");
        RunAs r = RunAs.parse("nobody");
        assertThat(r).isEqualTo(new RunAs(uid, gid, "nobody", group));
        assertThat(r.describe()).isEqualTo("nobody:" + group + " (uid " + uid + ", gid " + gid + ")");
    }

    @Test
    void groupMayBeNamedOrNumbered() throws Exception {
        long uid = Long.parseLong(run("id", "-u", "nobody"));
        String daemonGid = run("getent", "group", "daemon").split(":")[2];
        assertThat(RunAs.parse("nobody:daemon")).isEqualTo(new RunAs(uid, Long.parseLong(daemonGid), "nobody", "daemon"));
        assertThat(RunAs.parse(uid + ":" + daemonGid))
                .isEqualTo(new RunAs(uid, Long.parseLong(daemonGid), "nobody", "daemon"));
    }

    @Test
    void numericIdsWithoutDatabaseEntriesNeedTheGroupSpelledOut() {
        assertThat(RunAs.parse("123456:123457")).isEqualTo(new RunAs(123456, 123457, null, null));
        assertThat(RunAs.parse("123456:123457").describe()).isEqualTo("123456:123457 (uid 123456, gid 123457)");
        assertThatThrownBy(() -> RunAs.parse("123456")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("'123456': uid 123456 has no entry in the user database to take its group "
                        + "from; name the group too, e.g. 123456:123456")
                .hasMessageContaining("expected USER[:GROUP]");
    }

    @Test
    void unknownNamesAreRefusedNamingThemAndTheForm() {
        assertThatThrownBy(() -> RunAs.parse("no-such-user-jslirp")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'no-such-user-jslirp': no user 'no-such-user-jslirp' in the user database (expected "
                        + "USER[:GROUP], a user name or id and optionally a group name or id, e.g. nobody or "
                        + "65534:65534)");
        assertThatThrownBy(() -> RunAs.parse("nobody:no-such-group-jslirp")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("'nobody:no-such-group-jslirp': no group 'no-such-group-jslirp' in the group "
                        + "database (expected USER[:GROUP]");
    }

    @Test
    void malformedValuesAreRefusedWithTheForm() {
        for (String bad : new String[] {"", ":", "nobody:", ":nogroup", " "}) {
            assertThatThrownBy(() -> RunAs.parse(bad)).as("'%s'", bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected USER[:GROUP]");
        }
        assertThatThrownBy(() -> RunAs.parse("4294967295:1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("'4294967295:1': user id 4294967295 is out of range (0..4294967294;");
        assertThatThrownBy(() -> RunAs.parse("1:99999999999")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("'1:99999999999': group id 99999999999 is out of range");
    }

    @Test
    void rootIsRefusedSinceItDropsNothing() {
        for (String root : new String[] {"root", "0", "0:0", "root:nogroup"}) {
            assertThatThrownBy(() -> RunAs.parse(root)).as(root).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is root (uid 0), which drops nothing");
        }
    }
}
