package dev.jslirp.control;

import dev.jslirp.transport.IoTransport;

/** {@link ControlServerTest} with the network and its control socket on Java NIO. */
class ControlServerNioTest extends ControlServerTest {
    @Override
    IoTransport io() {
        return IoTransport.NIO;
    }
}
