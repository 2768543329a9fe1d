package dev.jslirp.control;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.transport.Endpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code jslirp control ADDR [COMMAND...]}: sends a command to a running jslirp's
 * control socket ({@code --control}) and prints the reply, so users need no socat.
 *
 * <p>The words after the address form one command line; without any, commands are read
 * from standard input, one per line. Text lines of each reply go to standard output, an
 * {@code ERROR:} line to standard error. Exit status: 0 when every command succeeded,
 * {@value #EXIT_COMMAND_FAILED} when one answered {@code ERROR}, 2 for a usage mistake,
 * {@value #EXIT_UNREACHABLE} when the socket cannot be reached or the reply does not come.
 */
@Command(name = "control",
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Send a command to a running jslirp started with --control ADDR, and print the reply.",
            "Commands (as QEMU's monitor for -netdev user):",
            "  hostfwd_add [netdev_id] [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport",
            "  hostfwd_remove [netdev_id] [tcp|udp]:[hostaddr]:hostport",
            "  info usernet | info stats | help",
            "Exit status: 0 if every command succeeded, 1 if one failed (ERROR), 2 for a usage mistake, "
                + "3 if the socket cannot be reached or does not answer in time."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  jslirp control unix:/tmp/jslirp.ctl hostfwd_add tcp::2222-:22",
            "  jslirp control unix:/tmp/jslirp.ctl info usernet",
            "  printf 'info usernet\\ninfo stats\\n' | jslirp control unix:/tmp/jslirp.ctl"
        })
public final class ControlClientCommand implements Callable<Integer> {
    /** Exit status when a command answered {@code ERROR}. */
    public static final int EXIT_COMMAND_FAILED = 1;
    /** Exit status when the control socket cannot be reached or does not answer in time. */
    public static final int EXIT_UNREACHABLE = 3;

    @Parameters(index = "0", paramLabel = "ADDR", description = {"The control socket: " + ControlServer.FORM + "."})
    String address;

    @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "0..*", description = {
        "The command and its arguments, e.g. hostfwd_add tcp::2222-:22 (one command; quoting it whole works too). "
            + "Without it, commands are read from standard input, one per line."})
    List<String> words = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "SECONDS", description = {
        "How long to wait for each reply (default: 10)."})
    int timeoutSeconds = 10;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    /** Where commands come from when none is given: standard input (tests set another). */
    InputStream input = System.in;

    @Override
    public Integer call() {
        Endpoint endpoint;
        try {
            endpoint = Endpoint.parse("ADDR", address, "tcp");
        } catch (ConfigException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage() + " (expected " + ControlServer.FORM + ")");
        }
        if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
            throw new ParameterException(spec.commandLine(), "invalid --timeout: " + timeoutSeconds
                    + " (expected 1..3600 seconds)");
        }
        List<String> commands = new ArrayList<>();
        if (!words.isEmpty()) {
            String line = String.join(" ", words);
            if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0
                    || line.getBytes(StandardCharsets.UTF_8).length > ControlServer.MAX_LINE) {
                throw new ParameterException(spec.commandLine(), "COMMAND must be one line of at most "
                        + ControlServer.MAX_LINE + " bytes");
            }
            commands.add(line);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (ControlClient client = ControlClient.connect(endpoint, Duration.ofSeconds(timeoutSeconds))) {
            if (!commands.isEmpty()) {
                return print(client.send(commands.get(0)), out, err) ? 0 : EXIT_COMMAND_FAILED;
            }
            boolean allOk = true;
            BufferedReader stdin = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
            String line;
            while ((line = stdin.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                allOk &= print(client.send(line), out, err);
            }
            return allOk ? 0 : EXIT_COMMAND_FAILED;
        } catch (IOException e) {
            err.println("jslirp control: " + e.getMessage());
            return EXIT_UNREACHABLE;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Prints a reply's text to {@code out} and an error to {@code err}; true if it succeeded. */
    private static boolean print(ControlReply reply, PrintWriter out, PrintWriter err) {
        reply.lines().forEach(out::println);
        out.flush();
        if (!reply.isOk()) {
            err.println(ControlReply.ERROR_PREFIX + reply.error());
            err.flush();
            return false;
        }
        return true;
    }
}
