package dev.jslirp.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.cli.JslirpCommand;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code jslirp control ADDR COMMAND}, run as {@code main} runs it, against a control
 * server in the test JVM: what it prints and its exit status.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ControlClientCommandTest {
    @TempDir
    Path dir;

    record Result(int exitCode, String out, String err) {
    }

    /** Runs {@code jslirp ARGS} as main does, with {@code stdin} as standard input. */
    static Result run(String stdin, String... args) {
        CommandLine cl = JslirpCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        ControlClientCommand control = cl.getSubcommands().get("control").getCommand();
        control.input = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        int rc = cl.execute(args);
        return new Result(rc, out.toString(), err.toString());
    }

    @Test
    void aCommandThatSucceedsPrintsItsTextAndExitsZero() throws Exception {
        try (ControlRig rig = new ControlRig(dir)) {
            String addr = "unix:" + rig.socket;
            Result add = run("", "control", addr, "hostfwd_add", "tcp:127.0.0.1:0-:22");
            assertThat(add.exitCode()).isZero();
            assertThat(add.out()).startsWith("host forwarding rule for tcp:127.0.0.1:0-:22 added: listening on 127.0.0.1:");
            assertThat(add.err()).isEmpty();
            Result quoted = run("", "control", addr, "info usernet");
            assertThat(quoted.exitCode()).isZero();
            assertThat(quoted.out()).startsWith("Hub -1 (n0):").contains("TCP[HOST_FORWARD]").doesNotContain("OK");
        }
    }

    @Test
    void aCommandThatFailsPrintsTheErrorAndExitsOne() throws Exception {
        try (ControlRig rig = new ControlRig(dir)) {
            Result r = run("", "control", "unix:" + rig.socket, "hostfwd_remove", "tcp::2222");
            assertThat(r.exitCode()).isEqualTo(ControlClientCommand.EXIT_COMMAND_FAILED).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).isEqualTo("ERROR: host forwarding rule for tcp::2222 not found" + System.lineSeparator());
        }
    }

    @Test
    void commandsFromStandardInputRunInTurnAndAnyFailureFailsTheRun() throws Exception {
        try (ControlRig rig = new ControlRig(dir)) {
            String addr = "unix:" + rig.socket;
            Result all = run("hostfwd_add udp:127.0.0.1:0-:53\n\ninfo usernet\n", "control", addr);
            assertThat(all.exitCode()).isZero();
            assertThat(all.out()).contains("added: listening on 127.0.0.1:").contains("UDP[HOST_FORWARD]");
            Result oneBad = run("frobnicate\ninfo stats\n", "control", addr);
            assertThat(oneBad.exitCode()).isEqualTo(1);
            assertThat(oneBad.err()).contains("ERROR: unknown command: 'frobnicate'");
            assertThat(oneBad.out()).as("the next command still ran").contains("(every counter is zero)");
        }
    }

    @Test
    void anAbsentSocketExitsThreeNamingIt() {
        Path none = dir.resolve("nobody.sock");
        Result r = run("", "control", "unix:" + none, "help");
        assertThat(r.exitCode()).isEqualTo(ControlClientCommand.EXIT_UNREACHABLE).isEqualTo(3);
        assertThat(r.err()).startsWith("jslirp control: cannot connect to the control socket unix:" + none);
    }

    @Test
    void usageMistakesExitTwo() {
        Result noAddr = run("", "control");
        assertThat(noAddr.exitCode()).isEqualTo(2);
        assertThat(noAddr.err()).contains("ADDR").contains("jslirp control --help");
        Result badAddr = run("", "control", "/tmp/x.sock", "help");
        assertThat(badAddr.exitCode()).isEqualTo(2);
        assertThat(badAddr.err()).contains("unix:PATH|tcp:127.0.0.1:PORT");
        Result badTimeout = run("", "control", "--timeout", "0", "unix:/tmp/x.sock", "help");
        assertThat(badTimeout.exitCode()).isEqualTo(2);
        assertThat(badTimeout.err()).contains("--timeout");
    }

    @Test
    void helpOfTheMainCommandNamesTheControlSocketAndTheClient() {
        Result r = run("", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--control=unix:PATH|tcp:127.0.0.1:PORT").contains("control ");
        Result c = run("", "control", "--help");
        assertThat(c.exitCode()).isZero();
        assertThat(c.out()).contains("Usage: jslirp control").contains("hostfwd_add").contains("Exit status");
    }

    @Test
    void controlOffLoopbackIsAUsageErrorNamingTheOption() {
        Result r = run("", "--listen", "unix:" + dir.resolve("j.sock"), "--control", "tcp:0.0.0.0:7000");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("jslirp: invalid --control: ").contains("loopback");
        assertThat(r.err().lines()).hasSize(1);
    }
}
