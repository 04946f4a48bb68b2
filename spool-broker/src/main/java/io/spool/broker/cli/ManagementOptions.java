package io.spool.broker.cli;

import picocli.CommandLine.Option;

/**
 * Where a command finds a running broker's management API. Like every setting, these may come
 * from the environment ({@code SPOOL_HTTP_PORT}, {@code SPOOL_HOST}, {@code SPOOL_VHOST}) or the
 * config file the server reads, so a client and its broker agree without repeating flags.
 */
final class ManagementOptions {

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Host of the broker's management API. Default: ${DEFAULT-VALUE}")
    String host;

    @Option(names = "--http-port", defaultValue = "15672",
            description = "Management HTTP port of the broker. Default: ${DEFAULT-VALUE}")
    int httpPort;

    @Option(names = {"--vhost", "-p"}, defaultValue = "/", description = "Virtual host. Default: ${DEFAULT-VALUE}")
    String vhost;

    ManagementClient client() {
        if (httpPort < 1 || httpPort > 65535) {
            // -1 is how the server turns its management API off, which leaves nothing to talk to.
            throw new CommandFailure("--http-port " + httpPort + " is not a port a management API listens on; "
                    + "give the broker's management port (default 15672)", 2);
        }
        return new ManagementClient(host, httpPort);
    }
}
