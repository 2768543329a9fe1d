package dev.jslirp.tftp;

/**
 * Decides which path below the served directory a requested name means, by its text alone;
 * {@link DirectoryFiles} then checks where symbolic links lead.
 *
 * <p>Rules (libslirp's, tightened where they let a name out or made no sense):
 * <ul>
 *   <li>A leading {@code /} is dropped: {@code /boot/vmlinuz} is {@code DIR/boot/vmlinuz},
 *       as from libslirp (which prepends {@code DIR/}), tftp-hpa's {@code --secure} and
 *       dnsmasq. PXE clients often send absolute names.</li>
 *   <li>A {@code ..} component anywhere is an access violation. libslirp refuses the
 *       substring {@code ../} only, so it lets {@code dir/..} through; jslirp does not.</li>
 *   <li>A name ending in {@code /}, and an empty name, is an access violation (libslirp:
 *       a trailing {@code /}).</li>
 *   <li>A backslash is an ordinary character, as for Linux and libslirp on Linux: it
 *       separates nothing, so {@code ..\x} is a file of that name in the directory.</li>
 *   <li>Empty components ({@code a//b}) and {@code .} components are dropped.</li>
 * </ul>
 * Control characters and the length limit are {@link ReadRequest}'s checks.
 */
final class TftpNames {
    private TftpNames() {
    }

    /**
     * The relative path {@code name} stands for, its components joined by {@code /}, or null
     * if it is refused (an access violation).
     */
    static String relativePath(String name) {
        if (name.isEmpty() || name.endsWith("/")) {
            return null;
        }
        StringBuilder path = new StringBuilder(name.length());
        for (String component : name.split("/")) {
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                return null;
            }
            if (path.length() > 0) {
                path.append('/');
            }
            path.append(component);
        }
        return path.length() == 0 ? null : path.toString();
    }
}
