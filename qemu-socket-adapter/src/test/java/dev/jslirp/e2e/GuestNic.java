package dev.jslirp.e2e;

import dev.jslirp.guest.NicModel;
import dev.jslirp.guest.QemuGuest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One network card of a test guest and the QEMU backend behind it. A guest may carry several,
 * each on its own network, so one boot serves several configurations; the guest finds each
 * card by its MAC ({@link GuestShell#interfaceWithMac}).
 *
 * @param id     the netdev id
 * @param model  the card
 * @param mac    its MAC, unique within the guest
 * @param netdev the {@code -netdev} value, whose id must be {@code id}
 */
public record GuestNic(String id, NicModel model, String mac, String netdev) {
    /** Checks the netdev carries the id. */
    public GuestNic {
        if (!("," + netdev + ",").contains(",id=" + id + ",")) {
            throw new IllegalArgumentException("netdev " + netdev + " does not carry id=" + id);
        }
    }

    /** The MAC of the {@code n}th card of a test guest (n from 1), locally administered 52:54:00:e2:e2:nn. */
    public static String mac(int n) {
        return String.format("52:54:00:e2:e2:%02x", n);
    }

    /** Stops {@code guest}, if there is one, and checks its QEMU process is gone. */
    public static void stop(QemuGuest guest) {
        if (guest != null) {
            long pid = guest.pid();
            guest.close();
            if (ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isPresent()) {
                throw new AssertionError("QEMU pid " + pid + " still runs after close");
            }
        }
    }

    /**
     * Boots a guest with {@code nics}: the first through the harness's own NIC options, the
     * rest as extra QEMU arguments, in order (so also in PCI slot order).
     *
     * @param pcap where QEMU records the first card's frames, or null
     * @param qemuBinary the QEMU executable (e.g. a wrapper entering a network namespace), or null
     */
    public static QemuGuest boot(String name, List<GuestNic> nics, Path pcap, String qemuBinary) {
        return boot(name, nics, pcap, qemuBinary, List.of());
    }

    /**
     * {@link #boot(String, List, Path, String)} with more QEMU arguments after the cards', e.g. a
     * {@code filter-dump} of another card or with a snap length.
     */
    public static QemuGuest boot(String name, List<GuestNic> nics, Path pcap, String qemuBinary, List<String> moreArgs) {
        GuestNic first = nics.get(0);
        QemuGuest.Builder b = QemuGuest.builder().name(name).netdev(first.netdev()).nic(first.model()).mac(first.mac());
        if (pcap != null) {
            b.pcap(pcap);
        }
        if (qemuBinary != null) {
            b.qemuBinary(qemuBinary);
        }
        List<String> extra = new ArrayList<>();
        for (GuestNic n : nics.subList(1, nics.size())) {
            extra.addAll(List.of("-netdev", n.netdev(),
                    "-device", n.model().qemuDevice() + ",netdev=" + n.id() + ",mac=" + n.mac() + ",romfile="));
        }
        extra.addAll(moreArgs);
        b.qemuArgs(extra.toArray(new String[0]));
        return b.start();
    }
}
