package dev.jslirp.transport.tap;

import java.util.Objects;

/**
 * A tap opened and configured, ready to attach: the device and the largest IP MTU a
 * frame read from it may have (the MTU jslirp set, or more if the interface had a
 * larger one, so that no frame is cut).
 *
 * @param device  the open device; whoever holds this record closes it, or hands it on
 * @param readMtu the largest IP MTU of a frame from the tap
 */
public record OpenedTap(TapDevice device, int readMtu) {
    /** Checks the values. */
    public OpenedTap {
        Objects.requireNonNull(device, "device");
        if (readMtu < 68 || readMtu > 65535) {
            throw new IllegalArgumentException("readMtu " + readMtu + " out of range 68..65535");
        }
    }
}
