package io.spool.bench.compare;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * A loopback port free at the moment of asking, for RabbitMQ and epmd, which cannot pick their
 * own and report it. Another process could take it before they bind; start-up then fails loudly.
 */
final class FreePort {

    private FreePort() {}

    static int pick() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
