package dev.jslirp.control;

import java.util.List;
import java.util.Objects;

/**
 * The reply to one control command: zero or more lines of text, then exactly one
 * terminator line, {@value #OK} or {@code ERROR: message}.
 *
 * <p>A reader finds the end of a reply by the terminator alone, so no other line may
 * look like one: a text line that is exactly {@code OK} or starts with {@code ERROR}
 * is sent with a leading space. Control characters (anything below a space, and DEL)
 * are sent as {@code ?}, so echoed input cannot break lines or a terminal.
 *
 * @param lines the text lines, before the terminator
 * @param error null for {@code OK}, else the message of the {@code ERROR:} line
 * @param close true if the server closes the connection after this reply ({@code quit})
 * @param afterIo true if the server sends this reply, and runs the commands after it,
 *                only once the event loop has polled its sockets again (see
 *                {@link ControlSession}); false for replies the client reads
 */
public record ControlReply(List<String> lines, String error, boolean close, boolean afterIo) {
    /** The terminator of a reply that succeeded. */
    public static final String OK = "OK";
    /** How the terminator of a failed reply starts. */
    public static final String ERROR_PREFIX = "ERROR: ";

    /** Copies the lines. */
    public ControlReply {
        lines = List.copyOf(lines);
    }

    /** Success with {@code lines} of text. */
    public static ControlReply ok(List<String> lines) {
        return new ControlReply(lines, null, false, false);
    }

    /** Success with {@code lines} of text. */
    public static ControlReply ok(String... lines) {
        return ok(List.of(lines));
    }

    /** Failure: no text, the terminator {@code ERROR: message}. */
    public static ControlReply error(String message) {
        return new ControlReply(List.of(), Objects.requireNonNull(message, "message"), false, false);
    }

    /** True if the reply ends with {@code OK}. */
    public boolean isOk() {
        return error == null;
    }

    /** True if a line ends a reply: {@code OK} or an {@code ERROR} line. */
    public static boolean isTerminator(String line) {
        return line.equals(OK) || line.startsWith("ERROR");
    }

    /** The reply as sent: each line and the terminator, each ended by a newline. */
    public String text() {
        StringBuilder s = new StringBuilder();
        for (String line : lines) {
            String clean = clean(line);
            if (isTerminator(clean)) {
                s.append(' ');
            }
            s.append(clean).append('\n');
        }
        s.append(error == null ? OK : ERROR_PREFIX + clean(error)).append('\n');
        return s.toString();
    }

    /** {@code line} with control characters replaced by {@code ?}. */
    static String clean(String line) {
        StringBuilder s = null;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < ' ' || c == 0x7f) {
                if (s == null) {
                    s = new StringBuilder(line.length());
                    s.append(line, 0, i);
                }
                s.append('?');
            } else if (s != null) {
                s.append(c);
            }
        }
        return s == null ? line : s.toString();
    }

    /** A reply with the same text that closes the connection afterwards. */
    public ControlReply thenClose() {
        return new ControlReply(lines, error, true, afterIo);
    }

    /** A reply with the same text that waits for the event loop's next poll of its sockets. */
    public ControlReply thenAfterIo() {
        return new ControlReply(lines, error, close, true);
    }
}
