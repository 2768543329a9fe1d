package dev.jslirp.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * The TCP options the stack acts on, parsed from a header and written into one. A
 * mutable holder reused per segment so the packet path does not allocate.
 *
 * <ul>
 *   <li>MSS, kind 2 (RFC 9293 section 3.7.1), SYN only;</li>
 *   <li>window scale, kind 3 (RFC 7323 section 2), SYN only, shift capped at 14;</li>
 *   <li>SACK-permitted, kind 4, and SACK blocks, kind 5 (RFC 2018);</li>
 *   <li>timestamps, kind 8 (RFC 7323 section 3).</li>
 * </ul>
 * Unknown options are skipped by their length.
 */
public final class TcpOptions {
    /** Most SACK blocks that fit in the option space. */
    public static final int MAX_SACK_BLOCKS = 4;
    /** The largest shift RFC 7323 section 2.3 allows. */
    public static final int MAX_WINDOW_SCALE = 14;

    private static final int KIND_EOL = 0;
    private static final int KIND_NOP = 1;
    private static final int KIND_MSS = 2;
    private static final int KIND_WSCALE = 3;
    private static final int KIND_SACK_PERMITTED = 4;
    private static final int KIND_SACK = 5;
    private static final int KIND_TIMESTAMP = 8;

    /** MSS, or -1 if absent. */
    public int mss;
    /** Window shift, or -1 if absent. */
    public int windowScale;
    /** True if SACK-permitted was present. */
    public boolean sackPermitted;
    /** True if the timestamp option was present. */
    public boolean hasTimestamp;
    /** TSval. */
    public int tsVal;
    /** TSecr. */
    public int tsEcr;
    /** Number of SACK blocks parsed. */
    public int sackBlocks;
    /** SACK block left edges. */
    public final int[] sackLeft = new int[MAX_SACK_BLOCKS];
    /** SACK block right edges. */
    public final int[] sackRight = new int[MAX_SACK_BLOCKS];

    /** Resets to "no options". */
    public TcpOptions clear() {
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        hasTimestamp = false;
        tsVal = 0;
        tsEcr = 0;
        sackBlocks = 0;
        return this;
    }

    /**
     * Clears, then parses the options in {@code [off, end)}.
     *
     * @return false on an option with a length below 2, a length running past
     *         {@code end}, or a known option with the wrong length
     */
    boolean parse(ByteBuf buf, int off, int end) {
        clear();
        int i = off;
        while (i < end) {
            int kind = buf.getUnsignedByte(i);
            if (kind == KIND_EOL) {
                return true;
            }
            if (kind == KIND_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                return false;
            }
            int len = buf.getUnsignedByte(i + 1);
            if (len < 2 || i + len > end) {
                return false;
            }
            switch (kind) {
                case KIND_MSS:
                    if (len != 4) {
                        return false;
                    }
                    mss = buf.getUnsignedShort(i + 2);
                    break;
                case KIND_WSCALE:
                    if (len != 3) {
                        return false;
                    }
                    windowScale = Math.min(buf.getUnsignedByte(i + 2), MAX_WINDOW_SCALE);
                    break;
                case KIND_SACK_PERMITTED:
                    if (len != 2) {
                        return false;
                    }
                    sackPermitted = true;
                    break;
                case KIND_SACK:
                    if ((len - 2) % 8 != 0) {
                        return false;
                    }
                    sackBlocks = Math.min((len - 2) / 8, MAX_SACK_BLOCKS);
                    for (int b = 0; b < sackBlocks; b++) {
                        sackLeft[b] = buf.getInt(i + 2 + 8 * b);
                        sackRight[b] = buf.getInt(i + 6 + 8 * b);
                    }
                    break;
                case KIND_TIMESTAMP:
                    if (len != 10) {
                        return false;
                    }
                    hasTimestamp = true;
                    tsVal = buf.getInt(i + 2);
                    tsEcr = buf.getInt(i + 6);
                    break;
                default:
                    break; // unknown: skipped by length
            }
            i += len;
        }
        return true;
    }

    /** Bytes needed by {@link #write}, a multiple of 4. */
    public int writtenLength() {
        int n = 0;
        if (mss >= 0) {
            n += 4;
        }
        if (windowScale >= 0) {
            n += 4;                          // NOP + 3
        }
        if (hasTimestamp) {
            n += 12;                         // NOP NOP + 10 (or SACK-permitted + 10)
        } else if (sackPermitted) {
            n += 4;                          // NOP NOP + 2
        }
        if (sackBlocks > 0) {
            n += 4 + 8 * sackBlocks;         // NOP NOP + 2 + 8n
        }
        return n;
    }

    /**
     * Writes the options present at {@code off}, padded with NOPs to a multiple of 4.
     *
     * @return the number of bytes written ({@link #writtenLength()})
     */
    public int write(ByteBuf buf, int off) {
        int i = off;
        if (mss >= 0) {
            buf.setByte(i, KIND_MSS);
            buf.setByte(i + 1, 4);
            buf.setShort(i + 2, mss);
            i += 4;
        }
        if (windowScale >= 0) {
            buf.setByte(i, KIND_NOP);
            buf.setByte(i + 1, KIND_WSCALE);
            buf.setByte(i + 2, 3);
            buf.setByte(i + 3, windowScale);
            i += 4;
        }
        if (hasTimestamp) {
            if (sackPermitted) {
                buf.setByte(i, KIND_SACK_PERMITTED);
                buf.setByte(i + 1, 2);
            } else {
                buf.setByte(i, KIND_NOP);
                buf.setByte(i + 1, KIND_NOP);
            }
            buf.setByte(i + 2, KIND_TIMESTAMP);
            buf.setByte(i + 3, 10);
            buf.setInt(i + 4, tsVal);
            buf.setInt(i + 8, tsEcr);
            i += 12;
        } else if (sackPermitted) {
            buf.setByte(i, KIND_NOP);
            buf.setByte(i + 1, KIND_NOP);
            buf.setByte(i + 2, KIND_SACK_PERMITTED);
            buf.setByte(i + 3, 2);
            i += 4;
        }
        if (sackBlocks > 0) {
            buf.setByte(i, KIND_NOP);
            buf.setByte(i + 1, KIND_NOP);
            buf.setByte(i + 2, KIND_SACK);
            buf.setByte(i + 3, 2 + 8 * sackBlocks);
            for (int b = 0; b < sackBlocks; b++) {
                buf.setInt(i + 4 + 8 * b, sackLeft[b]);
                buf.setInt(i + 8 + 8 * b, sackRight[b]);
            }
            i += 4 + 8 * sackBlocks;
        }
        return i - off;
    }
}
