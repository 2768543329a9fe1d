package dev.jslirp.tftp;

/** How file bytes travel (RFC 1350 section 1); "mail" is obsolete and refused. */
enum TransferMode {
    /** Raw 8-bit bytes, as stored. */
    OCTET,
    /**
     * Lines in network ASCII (RFC 764): the file's LF is sent as CR LF, a lone CR as CR NUL.
     * libslirp refuses this mode; jslirp serves it, so the default mode of BSD-derived
     * clients (tftp-hpa) works too.
     */
    NETASCII
}
