package dev.jslirp.core.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IllegalRawDataException;

/** Decodes frames the network sent with pcap4j, a decoder nobody here wrote. */
public final class PcapFrames {
    private PcapFrames() {
    }

    /** Decodes {@code frame} as Ethernet and releases it. */
    public static EthernetPacket decode(ByteBuf frame) throws IllegalRawDataException {
        try {
            byte[] bytes = ByteBufUtil.getBytes(frame);
            return EthernetPacket.newPacket(bytes, 0, bytes.length);
        } finally {
            frame.release();
        }
    }
}
