package dev.jslirp.dhcp;

import io.netty.buffer.ByteBuf;

/**
 * Who a client is (RFC 2131 section 4.2): its client identifier (option 61) if it sent
 * one, else its hardware address. One reusable instance per server points into the
 * message being handled; nothing is copied until a lease has to remember the client.
 */
final class ClientKey {
    private long mac;
    private ByteBuf idBuf;
    private int idOff;
    private int idLen;

    /** Identifies the client by {@code mac} alone. */
    ClientKey set(long mac) {
        return set(mac, null, 0, 0);
    }

    /**
     * Identifies the client by the {@code idLen} bytes of its client identifier at
     * {@code idOff} of {@code idBuf} (the request, valid during the call), or by
     * {@code mac} if {@code idLen} is 0. {@code mac} is kept either way: replies go to it.
     */
    ClientKey set(long mac, ByteBuf idBuf, int idOff, int idLen) {
        this.mac = mac;
        this.idBuf = idLen > 0 ? idBuf : null;
        this.idOff = idOff;
        this.idLen = idLen;
        return this;
    }

    /** Forgets the request buffer, so no reference outlives the message. */
    void clear() {
        idBuf = null;
        idLen = 0;
    }

    /** The client's hardware address. */
    long mac() {
        return mac;
    }

    /** True if {@code lease} remembers this client. */
    boolean matches(Lease lease) {
        if (!lease.owned) {
            return false;
        }
        if (idLen == 0) {
            return lease.clientId == null && lease.mac == mac;
        }
        byte[] id = lease.clientId;
        if (id == null || id.length != idLen) {
            return false;
        }
        for (int i = 0; i < idLen; i++) {
            if (id[i] != idBuf.getByte(idOff + i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Makes {@code lease} remember this client. Copies the client identifier (at most
     * 255 bytes, once per lease and client) unless the lease holds it already.
     */
    void storeInto(Lease lease) {
        if (!matches(lease)) {
            if (idLen == 0) {
                lease.clientId = null;
            } else {
                byte[] id = new byte[idLen];
                idBuf.getBytes(idOff, id);
                lease.clientId = id;
            }
        }
        lease.owned = true;
        lease.mac = mac;
    }
}
