package dev.jslirp.guest;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The host half of the command protocol spoken with the guest's console loop
 * ({@code /bin/jslirp-loop}, written by {@code build-guest-image.sh}; the format is described
 * there).
 *
 * <p>Commands travel base64-encoded, so no byte of them can be taken for a terminal control
 * character (erase, kill, EOF, Ctrl-C, XON/XOFF), and in chunked lines, because the tty's
 * canonical mode cuts lines at 4095 bytes ({@code N_TTY_BUF_SIZE} in the kernel's n_tty.c).
 * Results are framed by markers carrying a per-boot nonce and the command id, so neither
 * output that looks like a marker nor the late end of an interrupted command is mistaken for
 * the answer to the current command.
 *
 * <p>Console text is handled as ISO-8859-1, one char per byte, so marker search never breaks
 * on a multibyte character; output is decoded as UTF-8 when a command completes.
 */
final class ConsoleProtocol {
    /** Base64 characters per line: a fraction of the 4095-byte tty line limit. */
    static final int CHUNK = 1024;
    /** ETX: with ISIG on the guest tty, SIGINT to the running command. */
    static final byte INTERRUPT = 0x03;

    private static final String TAG = "JSLIRP";

    private final String nonce;

    ConsoleProtocol(String nonce) {
        if (!nonce.matches("[0-9a-zA-Z]+")) {
            throw new IllegalArgumentException("nonce must be alphanumeric: " + nonce);
        }
        this.nonce = nonce;
    }

    /** @return the kernel command-line argument that hands the nonce to the guest */
    String kernelArgument() {
        return "jslirp.nonce=" + nonce;
    }

    /** @return the marker the loop prints when it accepts commands */
    String readyMarker() {
        return marker("READY");
    }

    /**
     * Encodes one command for the console.
     *
     * @param id the command id, echoed in the markers
     * @param command shell source, run by the guest's {@code sh}
     * @return the bytes to write to the console
     */
    byte[] encode(long id, String command) {
        String b64 = Base64.getEncoder().encodeToString(command.getBytes(StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder(b64.length() + b64.length() / CHUNK * 2 + 32);
        for (int i = 0; i < b64.length(); i += CHUNK) {
            out.append('C').append(b64, i, Math.min(b64.length(), i + CHUNK)).append('\n');
        }
        out.append('R').append(id).append('\n');
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Looks for the complete answer to command {@code id} in console text.
     *
     * @param text console text, one char per byte
     * @param id the command id
     * @return the answer, or null if its end marker has not arrived yet
     */
    Completion findCompletion(CharSequence text, long id) {
        String s = text.toString();
        String begin = marker("BEGIN:" + id) + "\n";
        int b = s.indexOf(begin);
        if (b < 0) {
            return null;
        }
        int outStart = b + begin.length();
        String endPrefix = "\n@@" + TAG + ":" + nonce + ":END:" + id + ":";
        // The loop prints "\n" before END itself, so output "" gives "\n@@...END" right at
        // outStart and output "abc\n" gives "abc\n\n@@...END": the first match is the end.
        int e = s.indexOf(endPrefix, outStart);
        if (e < 0) {
            return null;
        }
        int codeStart = e + endPrefix.length();
        int close = s.indexOf("@@", codeStart);
        if (close < 0) {
            return null;
        }
        int exit = Integer.parseInt(s.substring(codeStart, close));
        int consumed = close + 2;
        if (consumed < s.length() && s.charAt(consumed) == '\n') {
            consumed++;
        }
        return new Completion(new GuestResult(exit, decode(s.substring(outStart, e))), consumed);
    }

    /**
     * @param text console text, one char per byte
     * @param id the command id
     * @return what command {@code id} has printed so far, or "" if it has not started
     */
    String partialOutput(CharSequence text, long id) {
        String s = text.toString();
        String begin = marker("BEGIN:" + id) + "\n";
        int b = s.indexOf(begin);
        return b < 0 ? "" : decode(s.substring(b + begin.length()));
    }

    static String decode(String isoText) {
        return new String(isoText.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    private String marker(String what) {
        return "@@" + TAG + ":" + nonce + ":" + what + "@@";
    }

    /**
     * A finished command.
     *
     * @param result exit code and output
     * @param consumedChars how much console text, from its start, the answer used up
     */
    record Completion(GuestResult result, int consumedChars) {}
}
