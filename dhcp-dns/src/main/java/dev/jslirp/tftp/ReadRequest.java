package dev.jslirp.tftp;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A parsed read request (RFC 1350 section 5) with the options of RFC 2347 jslirp knows:
 * {@code blksize} (RFC 2348), {@code tsize} and {@code timeout} (RFC 2349) and
 * {@code windowsize} (RFC 7440). An option value is kept as the client wrote it, or
 * {@link #ABSENT} if the option is missing or its value is not a decimal number; what is
 * granted is {@link TransferParameters}' decision.
 *
 * @param name       the file name as sent (checked to be text; {@link TftpNames} judges the path)
 * @param mode       the transfer mode
 * @param blockSize  {@code blksize}, or {@link #ABSENT}
 * @param transferSize {@code tsize}, or {@link #ABSENT}
 * @param timeout    {@code timeout} in seconds, or {@link #ABSENT}
 * @param windowSize {@code windowsize}, or {@link #ABSENT}
 */
record ReadRequest(String name, TransferMode mode, long blockSize, long transferSize, long timeout,
                   long windowSize) {
    /** An option the client did not send, or sent with a value that is not a number. */
    static final long ABSENT = -1;
    /**
     * The longest file name accepted, in bytes: libslirp's TFTP_FILENAME_MAX. Longer names
     * get an access violation, as from libslirp.
     */
    static final int MAX_NAME_LENGTH = 512;
    /** Digits beyond which a number is only "very large" (it still caps to the maximum). */
    private static final int MAX_DIGITS = 10;

    /** Why a request was refused. */
    enum Problem {
        /** The name has no terminating NUL within the message. */
        NAME_UNTERMINATED(TftpError.ILLEGAL_OPERATION),
        /** The name is longer than {@link #MAX_NAME_LENGTH}. */
        NAME_TOO_LONG(TftpError.ACCESS_VIOLATION),
        /** The name holds control characters or is not UTF-8. */
        NAME_NOT_TEXT(TftpError.ACCESS_VIOLATION),
        /** No NUL-terminated mode after the name. */
        MODE_MISSING(TftpError.ILLEGAL_OPERATION),
        /** A mode other than octet and netascii. */
        MODE_UNSUPPORTED(TftpError.UNSUPPORTED_MODE),
        /** An option name or value without its NUL. */
        OPTION_UNTERMINATED(TftpError.ILLEGAL_OPERATION);

        private final TftpError error;

        Problem(TftpError error) {
            this.error = error;
        }

        /** The error the client gets. */
        TftpError error() {
            return error;
        }
    }

    /** A request, or the problem that refuses it. */
    record Parsed(ReadRequest request, Problem problem) {
    }

    /**
     * Parses the request of {@code length} bytes at {@code off} (starting with its opcode,
     * which the caller has read). Never reads outside {@code [off, off + length)}.
     */
    static Parsed parse(ByteBuf buf, int off, int length) {
        int end = off + length;
        int p = off + TftpPacket.OPCODE_LENGTH;
        int nameEnd = buf.indexOf(p, Math.min(end, p + MAX_NAME_LENGTH + 1), (byte) 0);
        if (nameEnd < 0) {
            return refused(end - p > MAX_NAME_LENGTH ? Problem.NAME_TOO_LONG : Problem.NAME_UNTERMINATED);
        }
        String name = text(buf, p, nameEnd - p);
        if (name == null) {
            return refused(Problem.NAME_NOT_TEXT);
        }
        p = nameEnd + 1;
        int modeEnd = p < end ? buf.indexOf(p, end, (byte) 0) : -1;
        if (modeEnd < 0) {
            return refused(Problem.MODE_MISSING);
        }
        TransferMode mode;
        if (asciiEqualsIgnoreCase(buf, p, modeEnd - p, "octet")) {
            mode = TransferMode.OCTET;
        } else if (asciiEqualsIgnoreCase(buf, p, modeEnd - p, "netascii")) {
            mode = TransferMode.NETASCII;
        } else {
            return refused(Problem.MODE_UNSUPPORTED);
        }
        long blksize = ABSENT;
        long tsize = ABSENT;
        long timeout = ABSENT;
        long windowsize = ABSENT;
        boolean seenBlksize = false;
        boolean seenTsize = false;
        boolean seenTimeout = false;
        boolean seenWindowsize = false;
        p = modeEnd + 1;
        // RFC 2347: option names are case-insensitive; unknown options are ignored. An empty
        // name ends the list: some clients pad their requests with NULs.
        while (p < end && buf.getByte(p) != 0) {
            int keyEnd = buf.indexOf(p, end, (byte) 0);
            int valueEnd = keyEnd < 0 || keyEnd + 1 >= end ? -1 : buf.indexOf(keyEnd + 1, end, (byte) 0);
            if (valueEnd < 0) {
                return refused(Problem.OPTION_UNTERMINATED);
            }
            int keyLength = keyEnd - p;
            long value = number(buf, keyEnd + 1, valueEnd - keyEnd - 1);
            // The first instance of an option counts; repeats are ignored.
            if (!seenBlksize && asciiEqualsIgnoreCase(buf, p, keyLength, "blksize")) {
                seenBlksize = true;
                blksize = value;
            } else if (!seenTsize && asciiEqualsIgnoreCase(buf, p, keyLength, "tsize")) {
                seenTsize = true;
                tsize = value;
            } else if (!seenTimeout && asciiEqualsIgnoreCase(buf, p, keyLength, "timeout")) {
                seenTimeout = true;
                timeout = value;
            } else if (!seenWindowsize && asciiEqualsIgnoreCase(buf, p, keyLength, "windowsize")) {
                seenWindowsize = true;
                windowsize = value;
            }
            p = valueEnd + 1;
        }
        return new Parsed(new ReadRequest(name, mode, blksize, tsize, timeout, windowsize), null);
    }

    private static Parsed refused(Problem problem) {
        return new Parsed(null, problem);
    }

    /** The bytes as UTF-8 text without control characters, or null. */
    private static String text(ByteBuf buf, int off, int length) {
        for (int i = off; i < off + length; i++) {
            int b = buf.getUnsignedByte(i);
            if (b < 0x20 || b == 0x7f) {
                return null;
            }
        }
        ByteBuffer bytes = buf.nioBuffer(off, length);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * The decimal number in the bytes, {@link Long#MAX_VALUE} if it has more than
     * {@value #MAX_DIGITS} digits, or {@link #ABSENT} if it is empty or not all digits.
     */
    private static long number(ByteBuf buf, int off, int length) {
        if (length == 0) {
            return ABSENT;
        }
        long v = 0;
        for (int i = off; i < off + length; i++) {
            int d = buf.getUnsignedByte(i) - '0';
            if (d < 0 || d > 9) {
                return ABSENT;
            }
            if (i - off < MAX_DIGITS) {
                v = v * 10 + d;
            }
        }
        return length > MAX_DIGITS ? Long.MAX_VALUE : v;
    }

    /** True if the bytes are {@code lower} (lower-case ASCII) in any case. */
    static boolean asciiEqualsIgnoreCase(ByteBuf buf, int off, int length, String lower) {
        if (length != lower.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            int b = buf.getUnsignedByte(off + i);
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
