package dev.jslirp.guest;

/**
 * The outcome of one shell command run in the guest.
 *
 * @param exitCode the command's exit status as the guest shell reports it ({@code $?})
 * @param output everything the command wrote to stdout and stderr, in order, byte-exact
 *     (decoded as UTF-8), with no console framing and no added or removed newline
 */
public record GuestResult(int exitCode, String output) {

    /** @return true if the command exited with status 0 */
    public boolean isOk() {
        return exitCode == 0;
    }
}
