package dev.jslirp.guest;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The guest's kernel and initramfs, built by {@code build-guest-image.sh} from Debian packages
 * and cached on disk.
 *
 * <p>The script ships on the test classpath (resource {@value #SCRIPT_RESOURCE}, from
 * {@code qemu-socket-adapter/src/test/guest/}) with the sources it compiles into the guest
 * ({@link #SOURCE_RESOURCES}), so the qemu-socket-adapter test-jar carries them to other
 * modules; they are copied into one temporary directory to run. {@link #ensureBuilt()} runs it
 * at most once per JVM; the script itself returns at once when the cache already holds the image
 * for the current kernel package and script version, and is safe to run from two JVMs at the
 * same time.
 */
public final class GuestImage {
    /** Classpath location of the build script. */
    public static final String SCRIPT_RESOURCE = "/dev/jslirp/guest/build-guest-image.sh";
    /** Files the script expects beside itself (classpath locations). */
    static final List<String> SOURCE_RESOURCES = List.of("/dev/jslirp/guest/udptool.c");
    /** Enough for a 70 MB kernel package download on a slow link plus unpacking. */
    private static final long BUILD_TIMEOUT_MINUTES = 15;
    /** Environment variable naming the image cache directory. */
    public static final String CACHE_ENV = "JSLIRP_GUEST_CACHE";
    /** The script's exit code for a missing host tool. */
    private static final int EXIT_MISSING_TOOL = 2;

    private static GuestImage built;
    private static GuestException buildFailure;

    private final Path directory;

    private GuestImage(Path directory) {
        this.directory = directory;
    }

    /**
     * Returns the guest image, building it if the cache does not have it yet. The first call in
     * a JVM runs the build script (seconds when cached, about a minute when it downloads);
     * later calls return the same result, including the same failure.
     *
     * @return the built image
     * @throws GuestException if the image cannot be built; the message says which host tool or
     *     package is missing and carries the script's output
     */
    public static synchronized GuestImage ensureBuilt() {
        if (built != null) {
            return built;
        }
        if (buildFailure != null) {
            throw buildFailure;
        }
        try {
            built = runScript();
            return built;
        } catch (GuestException e) {
            buildFailure = e;
            throw e;
        }
    }

    /** @return the cache directory holding this image */
    public Path directory() {
        return directory;
    }

    /**
     * @return the kernel for {@code -kernel}: an uncompressed vmlinux with a PVH entry note
     *     where the build could make one (no decompression under TCG), else Debian's bzImage
     */
    public Path kernel() {
        return directory.resolve("kernel");
    }

    /**
     * @return Debian's bzImage as packaged, for boot loaders that take no other form (iPXE in
     *     {@link QemuGuest.Builder#networkBoot})
     */
    public Path bzImage() {
        return directory.resolve("bzImage");
    }

    /** @return the initramfs ({@code -initrd}) */
    public Path initrd() {
        return directory.resolve("initrd.gz");
    }

    /** @return the cache key: kernel package and version, busybox version, script hash */
    public String key() {
        return directory.getFileName().toString();
    }

    @Override
    public String toString() {
        return "GuestImage[" + directory + "]";
    }

    private static GuestImage runScript() {
        Path work = null;
        Path script = null;
        Path out = null;
        Path err = null;
        try {
            work = Files.createTempDirectory("jslirp-build-guest-image-");
            script = copyResource(SCRIPT_RESOURCE, work);
            for (String source : SOURCE_RESOURCES) {
                copyResource(source, work);
            }
            out = Files.createTempFile("jslirp-build-guest-image-", ".out");
            err = Files.createTempFile("jslirp-build-guest-image-", ".err");
            ProcessBuilder pb = new ProcessBuilder(List.of("sh", script.toString()))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            if (System.getenv(CACHE_ENV) == null && System.getenv("HOME") == null) {
                // The script's default cache is under $HOME; a bare CI environment may lack it.
                pb.environment().put(CACHE_ENV,
                        Path.of(System.getProperty("user.home"), ".cache", "jslirp", "guest").toString());
            }
            Process p = pb.start();
            if (!p.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly().waitFor();
                throw new GuestException("guest image build did not finish in " + BUILD_TIMEOUT_MINUTES
                        + " minutes; its output:\n" + Files.readString(err, StandardCharsets.UTF_8));
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8).strip();
            String stderr = Files.readString(err, StandardCharsets.UTF_8).strip();
            int code = p.exitValue();
            if (code != 0) {
                String hint = code == EXIT_MISSING_TOOL
                        ? "a host tool is missing"
                        : "packages could not be resolved or fetched (did 'apt-get update' run?)";
                throw new GuestException("guest image build failed (exit " + code + ": " + hint + "):\n" + stderr);
            }
            String[] lines = stdout.split("\n");
            Path dir = Path.of(lines[lines.length - 1].strip());
            GuestImage image = new GuestImage(dir);
            if (!Files.isRegularFile(image.kernel()) || !Files.isRegularFile(image.initrd())) {
                throw new GuestException("guest image build reported " + dir
                        + " but it lacks kernel or initrd.gz; script output:\n" + stdout + "\n" + stderr);
            }
            return image;
        } catch (IOException e) {
            throw new GuestException("could not run the guest image build script: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestException("interrupted while building the guest image", e);
        } finally {
            List<Path> temporary = new ArrayList<>();
            if (work != null) {
                for (String r : SOURCE_RESOURCES) {
                    temporary.add(work.resolve(fileName(r)));
                }
            }
            temporary.addAll(Arrays.asList(script, work, out, err));
            for (Path p : temporary) {
                if (p != null) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException ignored) {
                        // a leftover temp file is harmless
                    }
                }
            }
        }
    }

    /** Copies classpath {@code resource} into {@code dir} under its own file name. */
    private static Path copyResource(String resource, Path dir) throws IOException {
        Path target = dir.resolve(fileName(resource));
        try (InputStream in = GuestImage.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new GuestException("guest image build input " + resource
                        + " is not on the classpath (it comes from qemu-socket-adapter/src/test/guest;"
                        + " depend on the qemu-socket-adapter test-jar)");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    private static String fileName(String resource) {
        return resource.substring(resource.lastIndexOf('/') + 1);
    }
}
