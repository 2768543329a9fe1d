/**
 * The commands of guest forwards ({@code guestfwd=...-cmd:COMMAND}, and {@code smb=}'s
 * smbd): {@link dev.jslirp.process.PosixCommandLauncher} starts one per guest connection
 * through posix_spawn (JNA), its standard input and output a loopback TCP socket as
 * libslirp gives, our end an epoll channel on the network's loop; ends it with its
 * connection and logs its standard error within bounds. Linux with Netty's epoll only.
 */
package dev.jslirp.process;
