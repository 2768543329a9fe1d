package dev.jslirp.nat;

/** {@link HostUnreachableTest} on Java NIO: connect and send failures reach the guest, the error queue does not. */
class HostUnreachableNioTest extends HostUnreachableTest {
    @Override
    boolean epoll() {
        return false;
    }
}
