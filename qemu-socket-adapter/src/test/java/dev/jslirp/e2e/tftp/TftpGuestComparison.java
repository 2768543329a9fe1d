package dev.jslirp.e2e.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.e2e.GuestNic;
import dev.jslirp.e2e.GuestShell;
import dev.jslirp.e2e.UserOptions;
import dev.jslirp.guest.GuestResult;
import dev.jslirp.guest.NicModel;
import dev.jslirp.guest.QemuGuest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * QEMU's {@code tftp=}, {@code bootfile=} and {@code tftp-server-name=} checked with a real
 * Linux guest, written once and run against jslirp ({@link JslirpTftpGuestTest}) and QEMU's own
 * {@code -netdev user}, libslirp ({@link LibslirpTftpGuestTest}), with the same options and the
 * same directory. Where the two are meant to differ, the subclass states its expectation; every
 * other outcome must match.
 *
 * <h2>The guest</h2>
 * <p>One boot with two cards, each on a network of its own with the same TFTP options: virtio-net
 * and e1000 (both 10.0.2.0/24, so each test configures only the card it uses). The guest's
 * client is busybox's {@code tftp} applet; it prints the server's ERROR as
 * {@code tftp: server error: (CODE) MESSAGE}. A second guest boots from the network: QEMU's
 * iPXE ROM gets the boot file from DHCP, and the iPXE script loads kernel and initramfs over
 * TFTP ({@link QemuGuest.Builder#networkBoot}).
 *
 * <h2>The directory</h2>
 * <p>{@code DIR} holds {@value #HELLO}, a random {@value #BIG_BYTES}-byte file (many blocks, so
 * a transfer crosses the block-size and ACK logic thousands of times), a subdirectory, and a
 * symbolic link to {@value #SECRET}, which lies beside {@code DIR}, outside it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TftpGuestComparison {
    static final String HELLO = "hello.txt";
    static final String HELLO_TEXT = "hello from the tftp directory\n";
    static final String BIG = "big.bin";
    static final int BIG_BYTES = 1 << 20;
    static final String SECRET = "secret.txt";
    static final String SECRET_TEXT = "outside the tftp directory\n";
    static final String LINK_OUT = "link-to-secret";
    static final String BOOT_SCRIPT = "boot.ipxe";
    /** Option 66: a name, to tell it apart from the next-server address (siaddr). */
    static final String SERVER_NAME = "tftp.e2e.test";
    static final Duration TRANSFER_TIMEOUT = Duration.ofSeconds(120);
    /** Network boot under TCG: about 12 s on an idle machine, the kernel's unpacking most of it. */
    static final Duration NETWORK_BOOT_TIMEOUT = Duration.ofSeconds(240);

    Path work;
    Path dir;
    String bigSha;
    QemuGuest guest;
    GuestShell sh;
    final List<String> allIfs = new ArrayList<>();
    String virtioIf;
    String e1000If;

    // ------------------------------------------------------------------ what a backend provides

    /** Starts whatever must run before QEMU. */
    abstract void startBackend() throws Exception;

    /** The {@code -netdev} value for a card with {@code options}, netdev id {@code id}. */
    abstract String netdev(String id, UserOptions options);

    /** The QEMU executable (e.g. a wrapper entering a namespace), or null for the default. */
    abstract String qemuBinary();

    /** Stops what {@link #startBackend} started; QEMU is gone already. */
    abstract void stopBackend();

    // ------------------------------------------------------------------ expected differences

    /** The lease's option 67 ({@code bootfile}, busybox's variable), or null if the server sends none. */
    abstract String expectedBootfileOption();

    /** What {@code tftp -g} of a symbolic link out of DIR prints: the file, or the server's error. */
    abstract String expectedSymlinkOutOfDirectory();

    /** What {@code tftp -p} (a write request) ends with: the server's error, or {@code timeout}. */
    abstract String expectedWriteRequest();

    /** What {@code tftp -g} of {@code sub/..} (DIR itself, named without {@code ../}) prints. */
    abstract String expectedDirectoryThroughDotDot();

    // ------------------------------------------------------------------ lifecycle

    @BeforeAll
    void boot() throws Exception {
        work = Files.createTempDirectory("jslirp-tftp-e2e-");
        dir = Files.createDirectory(work.resolve("tftp"));
        Files.writeString(dir.resolve(HELLO), HELLO_TEXT);
        byte[] big = new byte[BIG_BYTES];
        new Random(7).nextBytes(big);
        Files.write(dir.resolve(BIG), big);
        bigSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big));
        Files.createDirectory(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub").resolve(HELLO), HELLO_TEXT);
        Files.writeString(work.resolve(SECRET), SECRET_TEXT);
        Files.createSymbolicLink(dir.resolve(LINK_OUT), work.resolve(SECRET));
        startBackend();
        UserOptions options = UserOptions.DEFAULTS.withTftp(dir, BOOT_SCRIPT, SERVER_NAME);
        List<GuestNic> nics = List.of(
                new GuestNic("virtio", NicModel.VIRTIO_NET_PCI, GuestNic.mac(1), netdev("virtio", options)),
                new GuestNic("e1000", NicModel.E1000, GuestNic.mac(2), netdev("e1000", options)));
        guest = GuestNic.boot(getClass().getSimpleName(), nics, null, qemuBinary());
        sh = new GuestShell(guest);
        virtioIf = sh.interfaceWithMac(GuestNic.mac(1));
        e1000If = sh.interfaceWithMac(GuestNic.mac(2));
        allIfs.addAll(List.of(virtioIf, e1000If));
    }

    @AfterAll
    void shutDown() throws IOException {
        try {
            GuestNic.stop(guest);
        } finally {
            try {
                stopBackend();
            } finally {
                deleteTree(work);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (root == null) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @BeforeEach
    void unconfigureInterfaces() {
        sh.reset(allIfs);
    }

    /** Takes a lease on the card of {@code nic}; returns it. */
    private Map<String, String> up(NicModel nic) {
        Map<String, String> lease = sh.dhcp(nic == NicModel.E1000 ? e1000If : virtioIf);
        assertThat(lease).containsEntry("ip", "10.0.2.15");
        return lease;
    }

    /** {@code tftp -g} of {@code remote} to /tmp/got; its exit code and output. */
    private GuestResult get(String remote, String options) {
        return guest.run("rm -f /tmp/got; tftp -g " + options + " -r '" + remote + "' -l /tmp/got 10.0.2.2",
                TRANSFER_TIMEOUT);
    }

    /** The got file, or the client's error output. */
    private String outcome(String remote) {
        GuestResult r = get(remote, "");
        return r.isOk() ? guest.runOk("cat /tmp/got") : r.output().strip();
    }

    // ------------------------------------------------------------------ DHCP

    @ParameterizedTest
    @EnumSource(NicModel.class)
    void dhcpOfferNamesTheBootFileAndTheServer(NicModel nic) {
        Map<String, String> lease = up(nic);

        assertThat(lease).containsEntry("siaddr", "10.0.2.2");          // next server
        assertThat(lease).containsEntry("boot_file", BOOT_SCRIPT);     // BOOTP file field
        assertThat(lease).containsEntry("tftp", SERVER_NAME);          // option 66
        assertThat(lease.get("bootfile")).isEqualTo(expectedBootfileOption());
    }

    // ------------------------------------------------------------------ transfers

    @ParameterizedTest
    @EnumSource(NicModel.class)
    void tftpGetOfAFileIsIntact(NicModel nic) {
        up(nic);

        assertThat(outcome(HELLO)).isEqualTo(HELLO_TEXT);
        long start = System.nanoTime();
        GuestResult r = get(BIG, "");
        assertThat(r.isOk()).as(r.output()).isTrue();
        assertThat(guest.runOk("sha256sum /tmp/got")).startsWith(bigSha);
        System.out.printf("%s %s: tftp -g of %d bytes in 512-byte blocks: %d ms%n", getClass().getSimpleName(), nic,
                BIG_BYTES, (System.nanoTime() - start) / 1_000_000);
    }

    @Test
    void tftpGetWithBlockSizeOptionIsIntact() {
        up(NicModel.VIRTIO_NET_PCI);
        long start = System.nanoTime();

        GuestResult r = get(BIG, "-b 1400");

        assertThat(r.isOk()).as(r.output()).isTrue();
        assertThat(guest.runOk("sha256sum /tmp/got")).startsWith(bigSha);
        System.out.printf("%s: tftp -g -b 1400 of %d bytes: %d ms%n", getClass().getSimpleName(), BIG_BYTES,
                (System.nanoTime() - start) / 1_000_000);
    }

    @Test
    void absoluteAndSubdirectoryNamesAreServedFromTheDirectory() {
        up(NicModel.VIRTIO_NET_PCI);

        assertThat(outcome("/" + HELLO)).isEqualTo(HELLO_TEXT);
        assertThat(outcome("sub/" + HELLO)).isEqualTo(HELLO_TEXT);
    }

    // ------------------------------------------------------------------ refusals

    @ParameterizedTest
    @EnumSource(NicModel.class)
    void dotDotEscapesFailWithAccessViolation(NicModel nic) {
        up(nic);

        assertThat(outcome("../" + SECRET)).isEqualTo("tftp: server error: (2) Access violation");
        assertThat(outcome("sub/../../" + SECRET)).isEqualTo("tftp: server error: (2) Access violation");
        assertThat(outcome("/../" + SECRET)).isEqualTo("tftp: server error: (2) Access violation");
    }

    @Test
    void missingFileFailsWithFileNotFound() {
        up(NicModel.VIRTIO_NET_PCI);

        assertThat(outcome("no-such-file")).isEqualTo("tftp: server error: (1) File not found");
    }

    @Test
    void directoryNamesFail() {
        up(NicModel.VIRTIO_NET_PCI);

        assertThat(outcome("sub/")).isEqualTo("tftp: server error: (2) Access violation");
        assertThat(outcome("sub/..")).isEqualTo(expectedDirectoryThroughDotDot());
    }

    @Test
    void symbolicLinkOutOfTheDirectory() {
        up(NicModel.VIRTIO_NET_PCI);

        assertThat(outcome(LINK_OUT)).isEqualTo(expectedSymlinkOutOfDirectory());
    }

    @Test
    void writeRequest() {
        up(NicModel.VIRTIO_NET_PCI);

        // busybox retries an unanswered request for about a minute: timeout(1) cuts it short.
        GuestResult r = guest.run("echo data > /tmp/up; timeout 10 tftp -p -l /tmp/up -r uploaded.txt 10.0.2.2",
                Duration.ofSeconds(30));

        assertThat(r.isOk()).isFalse();
        assertThat(r.exitCode() == 143 ? "timeout" : r.output().strip()).isEqualTo(expectedWriteRequest());
        assertThat(dir.resolve("uploaded.txt")).doesNotExist();
    }

    // ------------------------------------------------------------------ network boot

    @Test
    void networkBootThroughIpxeReachesTheGuestConsole() throws Exception {
        UserOptions options = UserOptions.DEFAULTS.withTftp(dir, BOOT_SCRIPT, SERVER_NAME);
        QemuGuest.Builder b = QemuGuest.builder().name(getClass().getSimpleName() + "-pxe")
                .netdev(netdev("pxe", options)).networkBoot(dir, BOOT_SCRIPT).bootTimeout(NETWORK_BOOT_TIMEOUT);
        if (qemuBinary() != null) {
            b.qemuBinary(qemuBinary());
        }
        try (QemuGuest pxe = b.start()) {
            System.out.printf("%s: network boot to the console in %d ms (%s)%n", getClass().getSimpleName(),
                    pxe.bootDuration().toMillis(), pxe.accelerator());
            // Booted by iPXE, not by QEMU's -kernel: the command line is the script's, and the
            // kernel is the one of the directory.
            assertThat(pxe.commandLine()).doesNotContain("-kernel").contains("-boot");
            assertThat(pxe.runOk("cat /proc/cmdline")).startsWith("console=ttyS0 ").contains("jslirp.nonce=");
            String script = Files.readString(dir.resolve(BOOT_SCRIPT), StandardCharsets.US_ASCII);
            assertThat(script).startsWith("#!ipxe\n").contains("kernel bzImage ").contains("initrd initrd.gz");
            // The booted guest has the network too.
            GuestShell pxeShell = new GuestShell(pxe);
            String iface = pxeShell.interfaceWithMac(QemuGuest.DEFAULT_MAC);
            assertThat(pxeShell.dhcp(iface)).containsEntry("boot_file", BOOT_SCRIPT);
            assertThat(pxe.runOk("tftp -g -r " + HELLO + " -l /tmp/h 10.0.2.2 && cat /tmp/h", TRANSFER_TIMEOUT))
                    .isEqualTo(HELLO_TEXT);
        }
        afterNetworkBoot(Files.size(dir.resolve("bzImage")) + Files.size(dir.resolve("initrd.gz")));
    }

    /** More checks of the network boot's network ({@code pxe}), which sent {@code bootBytes} of kernel and initramfs. */
    void afterNetworkBoot(long bootBytes) {
    }
}
