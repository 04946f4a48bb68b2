package io.spool.broker;

import java.nio.file.Path;

/**
 * Every setting of a broker, with the defaults a developer's laptop wants. Immutable; build one
 * with {@link #builder()}. The README lists each setting; keep the two in step.
 *
 * @param bind                 address the listeners bind to
 * @param amqpPort             AMQP port; 0 picks a free one
 * @param httpPort             management HTTP port; 0 picks a free one, -1 turns it off
 * @param dataDir              where durable state lives
 * @param frameMax             largest frame the broker offers in connection.tune, in bytes
 * @param channelMax           most channels per connection the broker offers
 * @param heartbeatSeconds     heartbeat interval the broker offers; 0 proposes none
 * @param maxMessageSize       largest message body accepted, in bytes
 * @param memoryHighWatermark  bytes of queued message content that raise the memory alarm;
 *                             0 means 40% of the JVM's maximum heap
 * @param ioThreads            event loop threads for connections; 0 means one per core
 * @param handshakeTimeoutMillis time a new connection has to complete its handshake
 * @param maxConnections       most client connections at once; 0 means no limit
 * @param shutdownTimeoutMillis time clients get to acknowledge the close on shutdown
 * @param diskFreeLimit        free bytes on the data disk below which publishers are blocked
 * @param segmentSize          bytes after which a queue starts a new segment file
 * @param consumerTimeoutMillis how long a delivery may stay unacknowledged before its channel
 *                             is closed, unless the queue says otherwise; 0 turns it off
 */
public record BrokerConfig(
        String bind,
        int amqpPort,
        int httpPort,
        Path dataDir,
        int frameMax,
        int channelMax,
        int heartbeatSeconds,
        long maxMessageSize,
        long memoryHighWatermark,
        int ioThreads,
        long handshakeTimeoutMillis,
        int maxConnections,
        long shutdownTimeoutMillis,
        long diskFreeLimit,
        long segmentSize,
        long consumerTimeoutMillis) {

    public static final int DEFAULT_AMQP_PORT = 5672;
    public static final int DEFAULT_HTTP_PORT = 15672;

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The memory alarm threshold in bytes, resolving the default against the heap. */
    public long effectiveMemoryHighWatermark() {
        return memoryHighWatermark > 0 ? memoryHighWatermark : (long) (Runtime.getRuntime().maxMemory() * 0.4);
    }

    public int effectiveIoThreads() {
        return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    }

    /** Mutable builder; starts from the defaults. */
    public static final class Builder {
        private String bind = "127.0.0.1";
        private int amqpPort = DEFAULT_AMQP_PORT;
        private int httpPort = DEFAULT_HTTP_PORT;
        private Path dataDir = Path.of("data");
        private int frameMax = 131_072;
        private int channelMax = 2047;
        private int heartbeatSeconds = 60;
        private long maxMessageSize = 16L * 1024 * 1024;
        private long memoryHighWatermark;
        private int ioThreads;
        private long handshakeTimeoutMillis = 10_000;
        private int maxConnections;
        private long shutdownTimeoutMillis = 5_000;
        private long diskFreeLimit = 50L * 1024 * 1024;
        private long segmentSize = 8L * 1024 * 1024;
        private long consumerTimeoutMillis = 1_800_000;

        private Builder() {}

        private Builder(BrokerConfig c) {
            bind = c.bind;
            amqpPort = c.amqpPort;
            httpPort = c.httpPort;
            dataDir = c.dataDir;
            frameMax = c.frameMax;
            channelMax = c.channelMax;
            heartbeatSeconds = c.heartbeatSeconds;
            maxMessageSize = c.maxMessageSize;
            memoryHighWatermark = c.memoryHighWatermark;
            ioThreads = c.ioThreads;
            handshakeTimeoutMillis = c.handshakeTimeoutMillis;
            maxConnections = c.maxConnections;
            shutdownTimeoutMillis = c.shutdownTimeoutMillis;
            diskFreeLimit = c.diskFreeLimit;
            segmentSize = c.segmentSize;
            consumerTimeoutMillis = c.consumerTimeoutMillis;
        }

        public Builder bind(String v) { bind = v; return this; }
        public Builder amqpPort(int v) { amqpPort = v; return this; }
        public Builder httpPort(int v) { httpPort = v; return this; }
        public Builder dataDir(Path v) { dataDir = v; return this; }
        public Builder frameMax(int v) { frameMax = v; return this; }
        public Builder channelMax(int v) { channelMax = v; return this; }
        public Builder heartbeatSeconds(int v) { heartbeatSeconds = v; return this; }
        public Builder maxMessageSize(long v) { maxMessageSize = v; return this; }
        public Builder memoryHighWatermark(long v) { memoryHighWatermark = v; return this; }
        public Builder ioThreads(int v) { ioThreads = v; return this; }
        public Builder handshakeTimeoutMillis(long v) { handshakeTimeoutMillis = v; return this; }
        public Builder maxConnections(int v) { maxConnections = v; return this; }
        public Builder shutdownTimeoutMillis(long v) { shutdownTimeoutMillis = v; return this; }
        public Builder diskFreeLimit(long v) { diskFreeLimit = v; return this; }
        public Builder segmentSize(long v) { segmentSize = v; return this; }
        public Builder consumerTimeoutMillis(long v) { consumerTimeoutMillis = v; return this; }

        public BrokerConfig build() {
            if (frameMax < 4096) {
                throw new IllegalArgumentException("frame max must be at least 4096 bytes, got " + frameMax);
            }
            if (channelMax < 1 || channelMax > 65535) {
                throw new IllegalArgumentException("channel max must be between 1 and 65535, got " + channelMax);
            }
            if (heartbeatSeconds < 0 || heartbeatSeconds > 65535) {
                throw new IllegalArgumentException("heartbeat must be between 0 and 65535 seconds, got " + heartbeatSeconds);
            }
            if (maxMessageSize < 1 || maxMessageSize > 512L * 1024 * 1024) {
                throw new IllegalArgumentException("max message size must be between 1 byte and 512 MiB, got "
                        + maxMessageSize);
            }
            if (segmentSize < 64 * 1024 || segmentSize > 1024L * 1024 * 1024) {
                throw new IllegalArgumentException("segment size must be between 64 KiB and 1 GiB, got " + segmentSize);
            }
            if (consumerTimeoutMillis < 0) {
                throw new IllegalArgumentException("consumer timeout must not be negative, got " + consumerTimeoutMillis);
            }
            if (diskFreeLimit < 0) {
                throw new IllegalArgumentException("disk free limit must not be negative, got " + diskFreeLimit);
            }
            return new BrokerConfig(bind, amqpPort, httpPort, dataDir, frameMax, channelMax, heartbeatSeconds,
                    maxMessageSize, memoryHighWatermark, ioThreads, handshakeTimeoutMillis, maxConnections,
                    shutdownTimeoutMillis, diskFreeLimit, segmentSize, consumerTimeoutMillis);
        }
    }
}
