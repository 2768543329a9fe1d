package dev.jslirp.nat;

/** {@link HostUnreachableTest} on the epoll transport: every error reaches the guest. */
class HostUnreachableEpollTest extends HostUnreachableTest {
    @Override
    boolean epoll() {
        return true;
    }
}
