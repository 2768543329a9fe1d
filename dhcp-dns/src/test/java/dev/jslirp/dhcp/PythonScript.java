package dev.jslirp.dhcp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the test scripts under {@code src/test/scripts} with a Python 3 that has
 * scapy. Never skips: without one the test fails, saying how to install it.
 */
final class PythonScript {
    private static final Path SCRIPTS = Path.of("src/test/scripts");

    private PythonScript() {
    }

    /**
     * The first interpreter that imports scapy: {@code -Djslirp.python=}, then
     * {@code python3} on the PATH, then Debian's {@code /usr/bin/python3} (where
     * python3-scapy installs, when a pyenv or venv python3 comes first on the PATH).
     *
     * @throws AssertionError naming what was tried and the package to install
     */
    static String pythonWithScapy() {
        Set<String> candidates = new LinkedHashSet<>();
        String configured = System.getProperty("jslirp.python");
        if (configured != null && !configured.isBlank()) {
            candidates.add(configured);
        }
        candidates.add("python3");
        candidates.add("/usr/bin/python3");
        List<String> tried = new ArrayList<>();
        for (String py : candidates) {
            try {
                Process p = new ProcessBuilder(py, "-c", "import scapy.all").redirectErrorStream(true).start();
                String out = readAll(p.getInputStream());
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return py;
                }
                p.destroyForcibly();
                tried.add(py + ": " + out.strip().lines().reduce((a, b) -> b).orElse("exit " + p.exitValue()));
            } catch (IOException e) {
                tried.add(py + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        throw new AssertionError("This test needs Python 3 with scapy (Debian: apt-get install python3-scapy; "
                + "or point -Djslirp.python= at an interpreter that has it). Tried: " + tried);
    }

    /**
     * Runs {@code script} with {@code args}, waits up to {@code timeoutSeconds}, and
     * returns its standard output.
     *
     * @throws AssertionError if it fails or overruns (it is then killed), with its stderr
     */
    static String run(String python, String script, int timeoutSeconds, String... args) throws Exception {
        Path path = SCRIPTS.resolve(script);
        if (!Files.isRegularFile(path)) {
            throw new AssertionError("missing test script " + path.toAbsolutePath());
        }
        List<String> cmd = new ArrayList<>(List.of(python, path.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(script + " did not finish in " + timeoutSeconds + " s; stderr: "
                    + err.get(10, TimeUnit.SECONDS));
        }
        String stdout = out.get(10, TimeUnit.SECONDS);
        if (p.exitValue() != 0) {
            throw new AssertionError(script + " exited " + p.exitValue() + "; stderr: " + err.get(10, TimeUnit.SECONDS)
                    + "; stdout: " + stdout);
        }
        return stdout;
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
