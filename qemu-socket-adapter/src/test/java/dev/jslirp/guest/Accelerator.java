package dev.jslirp.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Chooses QEMU's accelerator: {@code kvm} where it can really run a guest, else {@code tcg}
 * (software emulation, slower but everywhere).
 *
 * <p>A read/writable {@code /dev/kvm} alone is not enough: some sandboxes expose a KVM that
 * only runs specially built guests (seen: a Firecracker VM with the {@code kvm_pvm} module,
 * where a stock kernel hangs with no output). So KVM also needs the CPU's virtualization flag
 * ({@code vmx} or {@code svm}) in {@code /proc/cpuinfo}. Environment variable
 * {@value #ENV} ({@code kvm} or {@code tcg}) overrides the choice.
 */
final class Accelerator {
    static final String ENV = "JSLIRP_GUEST_ACCEL";
    private static final Pattern VIRT_FLAG = Pattern.compile("(?m)^flags\\s*:.*\\b(vmx|svm)\\b");

    private Accelerator() {}

    /** @return {@code kvm} or {@code tcg}, or what {@value #ENV} says */
    static String choose() {
        String forced = System.getenv(ENV);
        if (forced != null && !forced.isBlank()) {
            return forced.strip().toLowerCase(Locale.ROOT);
        }
        Path kvm = Path.of("/dev/kvm");
        return Files.isReadable(kvm) && Files.isWritable(kvm) && cpuHasVirtualization() ? "kvm" : "tcg";
    }

    private static boolean cpuHasVirtualization() {
        try {
            return VIRT_FLAG.matcher(Files.readString(Path.of("/proc/cpuinfo"))).find();
        } catch (IOException e) {
            return false;
        }
    }
}
