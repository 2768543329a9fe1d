/**
 * QEMU's {@code smb=DIR} and {@code smbserver=}: a directory shared with the guest by a
 * private smbd per connection ({@link dev.jslirp.smb.SmbShare}), checked at start-up
 * ({@link dev.jslirp.smb.SmbConfig}).
 */
package dev.jslirp.smb;
