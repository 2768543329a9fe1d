package dev.jslirp.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * What {@code --runas} decides before anything starts: drop, nothing to drop, or refuse.
 * The drop itself changes this JVM's user for good, so it is tested on a jslirp process
 * of its own ({@code dev.jslirp.cli.RunAsProcessTest}).
 */
class PrivilegeDropTest {
    private static final RunAs NOBODY = new RunAs(65534, 65534, "nobody", "nogroup");

    @Test
    void rootDropsToTheTarget() throws Exception {
        PrivilegeDrop.Decision d = PrivilegeDrop.decide(NOBODY, ThreadCredentials.parse(ThreadCredentialsTest.ROOT));
        assertThat(d.drop()).isNotNull();
        assertThat(d.drop().target()).isEqualTo(NOBODY);
        assertThat(d.warning()).isNull();
    }

    @Test
    void alreadyTheTargetUserWithoutCapabilitiesIsAWarningNotADrop() throws Exception {
        PrivilegeDrop.Decision d = PrivilegeDrop.decide(NOBODY,
                ThreadCredentials.parse(ThreadCredentialsTest.user(65534, 65534)));
        assertThat(d.drop()).isNull();
        assertThat(d.warning()).isEqualTo("--runas nobody:nogroup (uid 65534, gid 65534): jslirp runs as that user "
                + "and group already, with no capabilities; nothing to drop");
    }

    @Test
    void anotherUserWithoutCapabilitiesIsRefusedSayingWhy() throws Exception {
        ThreadCredentials user = ThreadCredentials.parse(ThreadCredentialsTest.user(1000, 1000));
        assertThatThrownBy(() -> PrivilegeDrop.decide(NOBODY, user)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jslirp runs as uid 1000, not root, and cannot change its user (no CAP_SETUID and "
                        + "CAP_SETGID): start it as root to have it become nobody:nogroup (uid 65534, gid 65534) once "
                        + "the tap is set up, or leave --runas out");
        ThreadCredentials sameUserOtherGroup = ThreadCredentials.parse(ThreadCredentialsTest.user(65534, 100));
        assertThatThrownBy(() -> PrivilegeDrop.decide(NOBODY, sameUserOtherGroup))
                .as("the right user in another group still needs CAP_SETGID").isInstanceOf(IllegalArgumentException.class);
    }
}
