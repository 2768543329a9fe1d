package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Rootless podman with jslirp as its slirp4netns ({@code --network-cmd-path}), run by an
 * unprivileged user ({@link RootlessUser}):
 * <pre>
 * podman --network-cmd-path=jslirp-slirp4netns run --rm \
 *     --network slirp4netns:port_handler=slirp4netns,allow_host_loopback=true \
 *     -p 127.0.0.1:PORT:80 IMAGE sh -c '...'
 * </pre>
 * podman detects jslirp's features from its help, runs it with {@code -c -e 3 -r 4
 * --enable-seccomp --netns-type=path PATH tap0} and an API socket from inside its own user namespace
 * (where jslirp may enter the network namespace itself), and publishes the port through
 * the API. podman 4 asks for IPv6 by default ({@code --enable-ipv6}) and waits for the
 * container's address from jslirp's router advertisements. The container fetches a page
 * from the host's 127.0.0.1 through 10.0.2.2 and one from the host's [::1] through
 * fd00::2, and serves one that the test fetches through the published port.
 *
 * <p>The image is a busybox made here ({@code podman import} of a tar of the host's
 * busybox: nothing is pulled). podman's storage and run directories are the test's own
 * ({@code --root}, {@code --runroot}, {@code XDG_RUNTIME_DIR}), so the test touches
 * nothing else of the user's; at the end its containers are removed with podman and
 * podman's pause process, which holds the user namespace, is stopped by the PID podman
 * wrote. The OCI runtime is runc with the cgroupfs manager: crun refuses machines whose
 * cgroups are in hybrid mode, as this workplace's are, and no systemd user session runs.
 */
class PodmanTest {
    private static final String IMAGE = "localhost/jslirp-busybox";

    @Test
    void aRootlessPodmanContainerReachesTheHostAndIsReachedThroughAPublishedPort() throws Exception {
        try (RootlessUser user = RootlessUser.setUp(PodmanTest.class, new String[] {"podman", "podman"},
                new String[] {"runc", "runc"}, new String[] {"newuidmap", "uidmap"},
                new String[] {"setpriv", "util-linux"}, new String[] {"busybox", "busybox-static"});
             HostPage host = new HostPage("from-the-host");
             HostPage host6 = new HostPage("from-the-host-over-ipv6", java.net.InetAddress.getByName("::1"))) {
            // Short names: podman refuses a run root of more than 50 characters, and puts the API socket
            // at XDG_RUNTIME_DIR/libpod/tmp/<64 hex digits>.net, which must stay under 108.
            Path podmanDir = user.ownDirectory("p");
            Path run = Path.of("/tmp", "jslirp-xdg-" + Long.toHexString(System.nanoTime() & 0xffffff));
            List<String> podman = List.of("podman", "--root=" + podmanDir.resolve("s"),
                    "--runroot=" + podmanDir.resolve("r"), "--runtime=runc", "--cgroup-manager=cgroupfs",
                    "--events-backend=file", "--network-cmd-path=" + user.dropIn());
            String xdg = "XDG_RUNTIME_DIR=" + run;
            Files.createDirectories(run);
            RootlessUser.run(Duration.ofSeconds(10), "chown", "-R", RootlessUser.NAME + ":" + RootlessUser.NAME,
                    run.toString()).ok("chown");
            Files.setPosixFilePermissions(run, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            Path image = busyboxImage(user.dir());
            Path log = user.dir().resolve("podman.log");
            try {
                Process imp = user.asUser(with(podman, "import", image.toString(), IMAGE), xdg)
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                assertThat(imp.waitFor()).as("podman import:\n" + Files.readString(log)).isZero();

                int published = RootlessKitTest.freePort();
                String script = "wget -q -O - http://10.0.2.2:" + host.port() + "/ && echo\n"
                        // podman waits a while for the address from the router advertisement, not for ever:
                        // on a loaded machine SLAAC and duplicate address detection may still be under way
                        + "for i in $(seq 20); do wget -q -O - http://[fd00::2]:" + host6.port()
                        + "/ && echo && break; sleep 0.5; done\n"
                        + "mkdir -p /www && echo from-the-container > /www/index.html\n"
                        // sh, the container's PID 1, ends on podman's SIGTERM only with a handler
                        + "httpd -f -p 80 -h /www & trap 'kill $!; exit 0' TERM; wait\n";
                Process container = user.asUser(with(podman, "run", "--rm", "--network",
                        "slirp4netns:port_handler=slirp4netns,allow_host_loopback=true",
                        "-p", "127.0.0.1:" + published + ":80", IMAGE, "sh", "-c", script), xdg)
                        .directory(podmanDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                List<ProcessHandle> started = new ArrayList<>();
                try {
                    assertThat(RootlessKitTest.awaitPage(published, container, log)).isEqualTo("from-the-container");
                    assertThat(Files.readString(log)).as("the container fetched from 10.0.2.2").contains("from-the-host");
                    assertThat(host.clients()).containsExactly("127.0.0.1");
                    assertThat(Files.readString(log)).as("the container fetched from fd00::2")
                            .contains("from-the-host-over-ipv6");
                    assertThat(host6.clients()).containsExactly("0:0:0:0:0:0:0:1");
                    ProcessHandle jslirp = jslirp(user);
                    assertThat(jslirp).as("podman ran jslirp as slirp4netns, as the user").isNotNull();
                    assertThat(jslirp.info().commandLine().orElse("")).contains("--enable-seccomp", "--enable-ipv6");
                    assertThat(Files.readAllLines(Path.of("/proc", Long.toString(jslirp.pid()), "status")))
                            .as("podman asked for seccomp (jslirp's help offers it) and got it").contains("Seccomp:\t2");
                } finally {
                    RootlessKitTest.stop(container, started);
                }
            } finally {
                cleanUp(user, podman, xdg, run);
                RootlessUser.deleteTree(run);
            }
            assertThat(user.leftovers(Duration.ofSeconds(15))).as("nothing of the test is left running").isEmpty();
        }
    }

    /** The jslirp of this set-up running as the user (podman starts it detached, so not our descendant), or null. */
    private static ProcessHandle jslirp(RootlessUser user) {
        String mark = user.dir().toString();
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(mark)
                && p.info().commandLine().orElse("").contains("JslirpCommand slirp4netns")
                && p.info().user().orElse("").equals(RootlessUser.NAME)).findFirst().orElse(null);
    }

    /** Removes the test's containers with podman, then stops podman's pause process by its PID file. */
    private static void cleanUp(RootlessUser user, List<String> podman, String xdg, Path run) throws Exception {
        Process rm = user.asUser(with(podman, "rm", "--all", "--force", "--time", "0"), xdg)
                .redirectErrorStream(true).redirectOutput(user.dir().resolve("podman-rm.log").toFile()).start();
        rm.waitFor();
        Path pausePid = run.resolve("libpod/tmp/pause.pid");
        if (Files.exists(pausePid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pausePid).strip())).ifPresent(ProcessHandle::destroy);
        }
    }

    /** A tar of a root file system with the host's static busybox and the applets the container uses. */
    private static Path busyboxImage(Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("image/bin"));
        Files.copy(Path.of(busyboxPath()), root.resolve("busybox"));
        for (String applet : List.of("sh", "wget", "httpd", "mkdir", "echo", "seq", "sleep")) {
            Files.createSymbolicLink(root.resolve(applet), Path.of("busybox"));
        }
        Path tar = dir.resolve("image.tar");
        RootlessUser.run(Duration.ofSeconds(30), "tar", "-C", dir.resolve("image").toString(), "-cf", tar.toString(), ".")
                .ok("tar");
        return tar;
    }

    private static String busyboxPath() throws Exception {
        return RootlessUser.run(Duration.ofSeconds(10), "sh", "-c", "command -v busybox").ok("busybox").output().strip();
    }

    private static List<String> with(List<String> base, String... more) {
        List<String> l = new ArrayList<>(base);
        l.addAll(List.of(more));
        return l;
    }
}
