package dev.jslirp.tftp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TFTP messages as a client writes them, and the server's messages decoded, written here from
 * RFC 1350 / 2347 independently of the server's own writers.
 */
final class TftpWire {
    private TftpWire() {
    }

    /** A read request: name, mode, then option name/value pairs. */
    static byte[] rrq(String name, String mode, String... options) {
        return request(1, name, mode, options);
    }

    /** A write request. */
    static byte[] wrq(String name, String mode) {
        return request(2, name, mode);
    }

    static byte[] request(int opcode, String name, String mode, String... options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(opcode);
        for (String s : join(name, mode, options)) {
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    private static String[] join(String name, String mode, String... options) {
        String[] all = new String[2 + options.length];
        all[0] = name;
        all[1] = mode;
        System.arraycopy(options, 0, all, 2, options.length);
        return all;
    }

    /** An ACK of {@code block} (its low 16 bits). */
    static byte[] ack(long block) {
        return new byte[] {0, 4, (byte) (block >> 8), (byte) block};
    }

    /** An ERROR from the client. */
    static byte[] error(int code, String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0, 5, (byte) (code >> 8), (byte) code});
        out.writeBytes(message.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
        return out.toByteArray();
    }

    /** Bytes as a heap buffer the caller owns. */
    static ByteBuf buf(byte[] bytes) {
        return Unpooled.wrappedBuffer(bytes);
    }

    /** A server message, decoded. */
    record Message(int opcode, int block, byte[] data, int errorCode, String errorMessage,
                   Map<String, String> options) {
        boolean isData() {
            return opcode == 3;
        }

        boolean isError() {
            return opcode == 5;
        }

        boolean isOack() {
            return opcode == 6;
        }

        @Override
        public String toString() {
            return switch (opcode) {
                case 3 -> "DATA " + block + " (" + data.length + " bytes)";
                case 5 -> "ERROR " + errorCode + " " + errorMessage;
                case 6 -> "OACK " + options;
                default -> "opcode " + opcode;
            };
        }
    }

    /** Decodes the message in {@code bytes}; fails on anything a server must not send. */
    static Message decode(byte[] bytes) {
        if (bytes.length < 2) {
            throw new AssertionError("message of " + bytes.length + " bytes");
        }
        int op = ((bytes[0] & 0xff) << 8) | (bytes[1] & 0xff);
        switch (op) {
            case 3: {
                int block = ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff);
                return new Message(op, block, Arrays.copyOfRange(bytes, 4, bytes.length), -1, null, Map.of());
            }
            case 5: {
                int code = ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff);
                if (bytes[bytes.length - 1] != 0) {
                    throw new AssertionError("error message without NUL");
                }
                String text = new String(bytes, 4, bytes.length - 5, StandardCharsets.US_ASCII);
                return new Message(op, -1, null, code, text, Map.of());
            }
            case 6: {
                Map<String, String> options = new LinkedHashMap<>();
                String[] parts = new String(bytes, 2, bytes.length - 2, StandardCharsets.US_ASCII).split("\0", -1);
                if (parts.length % 2 != 1 || !parts[parts.length - 1].isEmpty()) {
                    throw new AssertionError("OACK not name/value pairs each ending in NUL");
                }
                for (int i = 0; i + 1 < parts.length; i += 2) {
                    options.put(parts[i], parts[i + 1]);
                }
                return new Message(op, -1, null, -1, null, options);
            }
            default:
                throw new AssertionError("server sent opcode " + op);
        }
    }

    /** The readable bytes of {@code b}, which is released. */
    static byte[] take(ByteBuf b) {
        try {
            byte[] bytes = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), bytes);
            return bytes;
        } finally {
            b.release();
        }
    }
}
