package dev.jslirp.guest;

/** The guest network cards the image has drivers for, by QEMU device name. */
public enum NicModel {
    /** Paravirtual virtio network card (guest driver virtio_net), QEMU's usual choice. */
    VIRTIO_NET_PCI("virtio-net-pci", "virtio_net"),
    /** Emulated Intel 82540EM (guest driver e1000): no offloads, a different receive path. */
    E1000("e1000", "e1000");

    private final String qemuDevice;
    private final String guestDriver;

    NicModel(String qemuDevice, String guestDriver) {
        this.qemuDevice = qemuDevice;
        this.guestDriver = guestDriver;
    }

    /** @return the {@code -device} name QEMU knows this card by */
    public String qemuDevice() {
        return qemuDevice;
    }

    /** @return the Linux driver that binds to it in the guest (as in /sys/class/net/eth0/device/driver) */
    public String guestDriver() {
        return guestDriver;
    }
}
