package dev.jslirp.core.testkit.fuzz;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.ByteArrayOutputStream;
import java.time.Duration;

/**
 * The input language of the frame-driven fuzz targets: a guest's frames, time passing,
 * and target-specific actions (the host side of a TCP flow accepting, sending...),
 * in one byte string the fuzzer mutates and the seed corpus stores.
 *
 * <pre>
 * script := step*
 * step   := op payload        op is one byte; what it means is op % 8:
 *   0          a frame sent as it is: length (2 bytes, big-endian; cut to what is left), bytes
 *   1, 2, 3, 6 the same, with its IPv4 header and transport checksums made valid first
 *              ({@link ChecksumRepair}), so that mutations reach the layers above them
 *   4          time passes: (1 byte + 1) x 100 ms
 *   5          an action of the target: 1 byte, the target decides what it means
 *   7          a frame sent as it is, as 0
 * </pre>
 * A script that ends inside a step ends there; nothing is an error, so every byte string
 * is a script.
 */
public final class FrameScript {
    /** Time one step 4 unit stands for. */
    public static final Duration TICK = Duration.ofMillis(100);

    private FrameScript() {
    }

    /** What a script drives. */
    public interface Target {
        /** A frame from the guest ({@code repaired}: its checksums were made valid). */
        void frame(byte[] frame, boolean repaired);

        /** Time passes. */
        void advance(Duration d);

        /** A target-specific action with its argument byte. */
        void action(int arg);
    }

    /** Runs {@code script} against {@code target}, step by step. */
    public static void run(byte[] script, Target target) {
        int i = 0;
        while (i < script.length) {
            int op = (script[i++] & 0xff) % 8;
            switch (op) {
                case 4:
                    if (i >= script.length) {
                        return;
                    }
                    target.advance(TICK.multipliedBy((script[i++] & 0xff) + 1L));
                    break;
                case 5:
                    if (i >= script.length) {
                        return;
                    }
                    target.action(script[i++] & 0xff);
                    break;
                default:
                    if (i + 2 > script.length) {
                        return;
                    }
                    int len = Math.min(((script[i] & 0xff) << 8) | (script[i + 1] & 0xff), script.length - i - 2);
                    i += 2;
                    byte[] frame = new byte[len];
                    System.arraycopy(script, i, frame, 0, len);
                    i += len;
                    target.frame(frame, op != 0 && op != 7);
                    break;
            }
        }
    }

    /** Writes scripts, for seeds. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a script step by step. */
    public static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        /** A frame whose checksums the run repairs (they are valid already in frames the test kit builds); releases it. */
        public Builder frame(ByteBuf frame) {
            return frame(frame, 1);
        }

        /** A frame sent exactly as it is, bad checksums included; releases it. */
        public Builder rawFrame(ByteBuf frame) {
            return frame(frame, 0);
        }

        private Builder frame(ByteBuf frame, int op) {
            try {
                return frame(ByteBufUtil.getBytes(frame), op);
            } finally {
                frame.release();
            }
        }

        /** A frame of bytes, repaired. */
        public Builder frame(byte[] frame) {
            return frame(frame, 1);
        }

        private Builder frame(byte[] b, int op) {
            if (b.length > 0xffff) {
                throw new IllegalArgumentException("frame of " + b.length + " bytes");
            }
            out.write(op);
            out.write(b.length >>> 8);
            out.write(b.length);
            out.writeBytes(b);
            return this;
        }

        /** {@code ticks} x 100 ms pass (1..256). */
        public Builder advance(int ticks) {
            if (ticks < 1 || ticks > 256) {
                throw new IllegalArgumentException("ticks " + ticks);
            }
            out.write(4);
            out.write(ticks - 1);
            return this;
        }

        /** A target action. */
        public Builder action(int arg) {
            out.write(5);
            out.write(arg);
            return this;
        }

        /** The script. */
        public byte[] build() {
            return out.toByteArray();
        }
    }
}
