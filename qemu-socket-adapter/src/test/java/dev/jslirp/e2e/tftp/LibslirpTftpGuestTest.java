package dev.jslirp.e2e.tftp;

import dev.jslirp.e2e.NetnsSandbox;
import dev.jslirp.e2e.UserOptions;
import java.util.Map;

/**
 * The TFTP checks against QEMU's own {@code -netdev user} (libslirp 4.7, QEMU 7.2 as Debian 12
 * ships them), in a network namespace the test creates ({@link NetnsSandbox}) so nothing the
 * guest sends can leave. The expected values are libslirp's behaviour, each with its source.
 */
class LibslirpTftpGuestTest extends TftpGuestComparison {
    private NetnsSandbox sandbox;

    @Override
    void startBackend() {
        sandbox = NetnsSandbox.create(Map.of());
    }

    @Override
    String netdev(String id, UserOptions options) {
        return options.netdevUser(id);
    }

    @Override
    String qemuBinary() {
        return sandbox.qemuWrapper();
    }

    @Override
    void stopBackend() {
        if (sandbox != null) {
            sandbox.closeAndCheckDeleted();
        }
    }

    /** null: bootp.c puts the boot file in the BOOTP file field only, without option 67. */
    @Override
    String expectedBootfileOption() {
        return null;
    }

    /** The file outside DIR: tftp.c opens DIR/name with open(2), which follows the link. */
    @Override
    String expectedSymlinkOutOfDirectory() {
        return SECRET_TEXT;
    }

    /** timeout: tftp_input() has no case for TFTP_WRQ, so the request goes unanswered. */
    @Override
    String expectedWriteRequest() {
        return "timeout";
    }

    /**
     * timeout: tftp.c refuses only the substring "../" and a trailing "/", so DIR/sub/.. is
     * opened (a directory opens read-only) and the first read fails (EISDIR). The "File not
     * found" it then sends never reaches the client: tftp_send_next_block() hands
     * tftp_send_error() its own, just freed, outgoing buffer in place of the request, whose
     * zeroed UDP header gives the error source port 0, which busybox (connected to port 69)
     * does not take.
     */
    @Override
    String expectedDirectoryThroughDotDot() {
        return "tftp: timeout";
    }
}
