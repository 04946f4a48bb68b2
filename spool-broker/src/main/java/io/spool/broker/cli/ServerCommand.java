package io.spool.broker.cli;

import io.spool.broker.Broker;
import io.spool.broker.BrokerConfig;
import io.spool.broker.StartException;
import io.spool.broker.Version;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code spool server}: runs the broker in the foreground until SIGTERM or SIGINT, then stops it
 * gracefully and exits 0. The flags are a contract scripts rely on.
 */
@Command(name = "server", mixinStandardHelpOptions = true, description = "Run the broker in the foreground.")
final class ServerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger("io.spool.broker.Server");

    @Option(names = "--amqp-port", defaultValue = "5672", description = "AMQP port (0 picks a free one). Default: ${DEFAULT-VALUE}")
    int amqpPort;

    @Option(names = "--http-port", defaultValue = "15672",
            description = "Management HTTP port (0 picks a free one, -1 turns it off). Default: ${DEFAULT-VALUE}")
    int httpPort;

    @Option(names = "--data-dir", defaultValue = "./data", description = "Where durable state lives. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on. Default: ${DEFAULT-VALUE}")
    String bind;

    @Option(names = "--config", description = "A properties file of settings (same names as the flags).")
    Path config;

    @Option(names = "--frame-max", defaultValue = "131072", description = "Largest frame offered to clients, bytes. Default: ${DEFAULT-VALUE}")
    int frameMax;

    @Option(names = "--channel-max", defaultValue = "2047", description = "Most channels per connection. Default: ${DEFAULT-VALUE}")
    int channelMax;

    @Option(names = "--heartbeat", defaultValue = "60", description = "Heartbeat interval offered, seconds (0: none). Default: ${DEFAULT-VALUE}")
    int heartbeat;

    @Option(names = "--max-message-size", defaultValue = "16777216", description = "Largest message body accepted, bytes. Default: ${DEFAULT-VALUE}")
    long maxMessageSize;

    @Option(names = "--memory-high-watermark", defaultValue = "0",
            description = "Bytes of queued messages that block publishers (0: 40%% of the heap). Default: ${DEFAULT-VALUE}")
    long memoryHighWatermark;

    @Option(names = "--max-connections", defaultValue = "0", description = "Most client connections (0: no limit). Default: ${DEFAULT-VALUE}")
    int maxConnections;

    @Option(names = "--io-threads", defaultValue = "0", description = "Network event loop threads (0: one per core). Default: ${DEFAULT-VALUE}")
    int ioThreads;

    @Option(names = "--disk-free-limit", defaultValue = "52428800",
            description = "Free bytes on the data disk below which publishers are blocked. Default: ${DEFAULT-VALUE}")
    long diskFreeLimit;

    @Option(names = "--segment-size", defaultValue = "8388608",
            description = "Bytes after which a queue starts a new segment file. Default: ${DEFAULT-VALUE}")
    long segmentSize;

    @Option(names = "--consumer-timeout", defaultValue = "1800000",
            description = "ms a delivery may stay unacknowledged before its channel is closed (0: never). Default: ${DEFAULT-VALUE}")
    long consumerTimeout;

    @Override
    public Integer call() throws Exception {
        BrokerConfig cfg;
        try {
            cfg = BrokerConfig.builder()
                    .bind(bind).amqpPort(amqpPort).httpPort(httpPort).dataDir(dataDir)
                    .frameMax(frameMax).channelMax(channelMax).heartbeatSeconds(heartbeat)
                    .maxMessageSize(maxMessageSize).memoryHighWatermark(memoryHighWatermark)
                    .maxConnections(maxConnections).ioThreads(ioThreads)
                    .diskFreeLimit(diskFreeLimit).segmentSize(segmentSize).consumerTimeoutMillis(consumerTimeout)
                    .build();
        } catch (IllegalArgumentException e) {
            System.err.println("spool: " + e.getMessage());
            return 2;
        }
        try {
            Files.createDirectories(cfg.dataDir());
        } catch (IOException e) {
            System.err.println("spool: cannot use data directory " + cfg.dataDir() + ": " + reason(e));
            return 1;
        }
        Broker broker = new Broker(cfg);
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        try {
            broker.start();
        } catch (StartException e) {
            System.err.println("spool: " + e.getMessage());
            return 1;
        }
        log.info("Spool {} ready: {} (management {}, data in {})", Version.VERSION, broker.amqpUri(),
                broker.httpUri() == null ? "off" : broker.httpUri(), cfg.dataDir().toAbsolutePath().normalize());
        stop.await();
        log.info("received stop signal");
        broker.stop();
        return 0;
    }

    private static String reason(IOException e) {
        return switch (e) {
            case AccessDeniedException denied -> "permission denied";
            case FileAlreadyExistsException exists -> exists.getFile() + " is not a directory";
            case FileSystemException fs when fs.getReason() != null -> fs.getReason();
            default -> e.toString();
        };
    }
}
