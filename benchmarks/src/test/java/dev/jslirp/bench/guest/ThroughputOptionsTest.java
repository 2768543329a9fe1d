package dev.jslirp.bench.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The real-guest throughput tool's options (the tool itself boots QEMU guests and is run
 * by hand, benchmarks/guest/run-guest-throughput.sh): defaults, overrides and the
 * start-up errors a typo gets instead of a failure after minutes of booting.
 */
class ThroughputOptionsTest {
    @Test
    void defaultsCompareLibslirpThenJslirpThreeRoundsOfThreeRunsOf20MegabytesBothWays() {
        ThroughputOptions o = ThroughputOptions.parse();
        assertThat(o.backends()).containsExactly("user", "jslirp");
        assertThat(o.rounds()).isEqualTo(3);
        assertThat(o.runs()).isEqualTo(3);
        assertThat(o.downloadMb()).isEqualTo(20);
        assertThat(o.uploadMb()).isEqualTo(20);
        assertThat(o.downloads()).isTrue();
        assertThat(o.uploads()).isTrue();
        assertThat(o.jar()).isEqualTo(Path.of("qemu-socket-adapter/target/jslirp.jar"));
        assertThat(o.jvm()).isEmpty();
        assertThat(o.pcapDir()).isNull();
    }

    @Test
    void optionsOverrideTheDefaultsAndUploadSizeFollowsSizeUnlessGiven() {
        ThroughputOptions o = ThroughputOptions.parse("backends=jslirp,old@/tmp/old.jar,user", "rounds=1",
                "size=5", "dir=down", "jvm= -Xmx64m  -XX:+UseSerialGC ", "pcap=/tmp/p");
        assertThat(o.backends()).containsExactly("jslirp", "old@/tmp/old.jar", "user");
        assertThat(o.rounds()).isEqualTo(1);
        assertThat(o.downloadMb()).isEqualTo(5);
        assertThat(o.uploadMb()).isEqualTo(5);
        assertThat(o.downloads()).isTrue();
        assertThat(o.uploads()).isFalse();
        assertThat(o.jvm()).isEqualTo(List.of("-Xmx64m", "-XX:+UseSerialGC"));
        assertThat(o.pcapDir()).isEqualTo(Path.of("/tmp/p"));
        assertThat(ThroughputOptions.parse("size=5", "upsize=2", "dir=up").uploadMb()).isEqualTo(2);
    }

    @Test
    void aBackendOfAnotherJarIsReportedUnderItsLabel() {
        assertThat(Backend.label("before@/tmp/jslirp-before.jar")).isEqualTo("before");
        assertThat(Backend.label("user")).isEqualTo("user");
    }

    @Test
    void badOptionsFailNamingTheOptionAndTheAcceptedForm() {
        assertThatThrownBy(() -> ThroughputOptions.parse("round=3"))
                .hasMessageContaining("unknown option round=3").hasMessageContaining("rounds");
        assertThatThrownBy(() -> ThroughputOptions.parse("runs")).hasMessageContaining("unknown option runs");
        assertThatThrownBy(() -> ThroughputOptions.parse("dir=sideways"))
                .hasMessageContaining("dir=sideways").hasMessageContaining("both, down or up");
        assertThatThrownBy(() -> ThroughputOptions.parse("backends=user,passt"))
                .hasMessageContaining("passt").hasMessageContaining("LABEL@JAR");
        assertThatThrownBy(() -> ThroughputOptions.parse("size=0")).hasMessageContaining("size=0")
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> ThroughputOptions.parse("wait=soon")).hasMessageContaining("wait=soon")
                .hasMessageContaining("whole number");
    }
}
