package dev.jslirp.captures;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The classic libpcap file format (as QEMU's {@code filter-dump} writes it): reads the
 * frames of an Ethernet capture and writes frames back out for Wireshark. Kept in Java
 * so replaying a capture needs no native libpcap.
 */
final class PcapFile {
    private static final int MAGIC_MICROS = 0xa1b2c3d4;
    private static final int MAGIC_NANOS = 0xa1b23c4d;
    private static final int LINKTYPE_ETHERNET = 1;

    /** One captured frame and its timestamp. */
    record Frame(long timestampMicros, byte[] data) {
    }

    private PcapFile() {
    }

    static List<Frame> read(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        byte[] header = d.readNBytes(24);
        if (header.length != 24) {
            throw new IOException("not a pcap file: shorter than its header");
        }
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.BIG_ENDIAN);
        int magic = h.getInt(0);
        ByteOrder order;
        boolean nanos;
        if (magic == MAGIC_MICROS || magic == MAGIC_NANOS) {
            order = ByteOrder.BIG_ENDIAN;
            nanos = magic == MAGIC_NANOS;
        } else if (Integer.reverseBytes(magic) == MAGIC_MICROS || Integer.reverseBytes(magic) == MAGIC_NANOS) {
            order = ByteOrder.LITTLE_ENDIAN;
            nanos = Integer.reverseBytes(magic) == MAGIC_NANOS;
        } else {
            throw new IOException("not a pcap file: magic " + Integer.toHexString(magic));
        }
        h.order(order);
        if (h.getInt(20) != LINKTYPE_ETHERNET) {
            throw new IOException("not an Ethernet capture: link type " + h.getInt(20));
        }
        List<Frame> frames = new ArrayList<>();
        while (true) {
            byte[] rec = d.readNBytes(16);
            if (rec.length == 0) {
                return frames;
            }
            if (rec.length != 16) {
                throw new IOException("truncated record header");
            }
            ByteBuffer r = ByteBuffer.wrap(rec).order(order);
            long sec = r.getInt(0) & 0xffffffffL;
            long frac = r.getInt(4) & 0xffffffffL;
            int capLen = r.getInt(8);
            if (capLen < 0 || capLen > 262144) {
                throw new IOException("bad record length " + capLen);
            }
            byte[] data = d.readNBytes(capLen);
            if (data.length != capLen) {
                throw new IOException("truncated record");
            }
            frames.add(new Frame(sec * 1_000_000 + (nanos ? frac / 1000 : frac), data));
        }
    }

    static List<Frame> read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in);
        }
    }

    static void write(Path file, List<byte[]> frames) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(MAGIC_MICROS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535)
                    .putInt(LINKTYPE_ETHERNET);
            out.write(h.array());
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            long t = 0;
            for (byte[] f : frames) {
                ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
                r.putInt((int) (t / 1_000_000)).putInt((int) (t % 1_000_000)).putInt(f.length).putInt(f.length);
                body.write(r.array());
                body.write(f);
                t += 1000;
            }
            out.write(body.toByteArray());
        }
    }
}
