package io.spool.broker.model;

import java.util.Map;

/**
 * The job semantics a queue runs with, read from its {@code x-} arguments and its policy:
 * TTLs, dead-lettering, length limits, priorities, delivery limit, retries, single active
 * consumer and the consumer timeout. Immutable; a policy change makes a new one.
 *
 * <p>Argument names and their checks are RabbitMQ's (retries: the names LavinMQ chose). A bad
 * value is refused with 406 and a text naming the argument:
 * {@code invalid arg 'x-max-priority' for queue 'q' in vhost '/': ...}.
 *
 * @param messageTtl          ms a message may wait (x-message-ttl), or -1
 * @param expires             ms a queue may go unused before it is deleted (x-expires), or -1
 * @param deadLetterExchange  where dead letters go, or null
 * @param deadLetterRoutingKey the key they go with, or null for their own keys
 * @param maxLength           most ready messages (x-max-length), or -1
 * @param maxLengthBytes      most bytes of ready bodies (x-max-length-bytes), or -1
 * @param overflow            what happens past a limit
 * @param maxPriority         highest message priority honoured (x-max-priority), 0 for none
 * @param deliveryLimit       deliveries after which a message is dead-lettered, or -1
 * @param singleActiveConsumer only one consumer receives at a time
 * @param consumerTimeout     ms a delivery may stay unacknowledged, or -1 for the broker's
 * @param retryMaxCount       retries of a rejected message before it is dead-lettered, 0 for none
 * @param retryDelay          ms before the first retry
 * @param retryDelayMultiplier growth of the delay from one retry to the next
 * @param retryMaxDelay       cap of the delay, ms
 * @param deduplication       whether a message is dropped while its duplicate is in the queue
 */
public record QueueArguments(
        long messageTtl,
        long expires,
        String deadLetterExchange,
        String deadLetterRoutingKey,
        long maxLength,
        long maxLengthBytes,
        Overflow overflow,
        int maxPriority,
        long deliveryLimit,
        boolean singleActiveConsumer,
        long consumerTimeout,
        int retryMaxCount,
        long retryDelay,
        long retryDelayMultiplier,
        long retryMaxDelay,
        DeduplicationSettings deduplication) {

    /** Ten years in ms: RabbitMQ's ceiling for TTLs and expiry. */
    public static final long MAX_TTL = 315_360_000_000L;

    public static final QueueArguments NONE = new QueueArguments(-1, -1, null, null, -1, -1, Overflow.DROP_HEAD, 0,
            -1, false, -1, 0, 1000, 2, 60_000, DeduplicationSettings.OFF);

    /** What a queue does when a publish would pass {@code x-max-length} or {@code x-max-length-bytes}. */
    public enum Overflow {
        DROP_HEAD("drop-head"), REJECT_PUBLISH("reject-publish"), REJECT_PUBLISH_DLX("reject-publish-dlx");

        private final String wire;

        Overflow(String wire) {
            this.wire = wire;
        }

        static Overflow of(String s) {
            for (Overflow o : values()) {
                if (o.wire.equals(s)) {
                    return o;
                }
            }
            return null;
        }
    }

    public boolean hasDeadLetterExchange() {
        return deadLetterExchange != null;
    }

    public boolean hasLengthLimit() {
        return maxLength >= 0 || maxLengthBytes >= 0;
    }

    /** The delay before retry number {@code retry} (1 for the first). */
    public long retryDelayFor(int retry) {
        double d = retryDelay * Math.pow(retryDelayMultiplier, Math.max(0, retry - 1));
        return (long) Math.min(retryMaxDelay, d);
    }

    /**
     * Reads and checks a queue's arguments, then applies a policy definition (keys without the
     * {@code x-} prefix; may be null) the way RabbitMQ combines them: the lower of the two for
     * limits and TTLs, the argument's value for dead-lettering and overflow.
     */
    public static QueueArguments of(Map<String, Object> args, Map<String, Object> policy, String queue, String vhost) {
        Reader a = new Reader(args == null ? Map.of() : args, "x-", queue, vhost);
        Reader p = new Reader(policy == null ? Map.of() : policy, "", queue, vhost);
        long messageTtl = min(a.range("message-ttl", 0, MAX_TTL), p.range("message-ttl", 0, MAX_TTL));
        long expires = min(a.range("expires", 1, MAX_TTL), p.range("expires", 1, MAX_TTL));
        String dlx = a.string("dead-letter-exchange");
        String dlrk = a.string("dead-letter-routing-key");
        if (dlrk != null && dlx == null) {
            throw a.invalid("dead-letter-routing-key", "routing_key_but_no_dlx_defined");
        }
        if (dlx == null) {
            dlx = p.string("dead-letter-exchange");
        }
        if (dlrk == null) {
            dlrk = p.string("dead-letter-routing-key");
        }
        long maxLength = min(a.range("max-length", 0, Long.MAX_VALUE), p.range("max-length", 0, Long.MAX_VALUE));
        long maxLengthBytes = min(a.range("max-length-bytes", 0, Long.MAX_VALUE),
                p.range("max-length-bytes", 0, Long.MAX_VALUE));
        Overflow overflow = a.overflow();
        if (overflow == null) {
            overflow = p.overflow();
        }
        int maxPriority = (int) a.range("max-priority", 1, 255);
        long deliveryLimit = min(a.limitOrOff("delivery-limit"), p.limitOrOff("delivery-limit"));
        boolean sac = a.bool("single-active-consumer");
        long consumerTimeout = min(a.range("consumer-timeout", 0, MAX_TTL), p.range("consumer-timeout", 0, MAX_TTL));
        int retryMaxCount = (int) a.range("retry-max-count", 1, 1000);
        long retryDelay = a.range("retry-delay", 0, MAX_TTL);
        long multiplier = a.range("retry-delay-multiplier", 1, 1000);
        long retryMaxDelay = a.range("retry-max-delay", 0, MAX_TTL);
        return new QueueArguments(messageTtl, expires, dlx, dlrk, maxLength, maxLengthBytes,
                overflow == null ? Overflow.DROP_HEAD : overflow, maxPriority < 0 ? 0 : maxPriority, deliveryLimit,
                sac, consumerTimeout, retryMaxCount < 0 ? 0 : retryMaxCount,
                retryDelay < 0 ? NONE.retryDelay : retryDelay, multiplier < 0 ? NONE.retryDelayMultiplier : multiplier,
                retryMaxDelay < 0 ? NONE.retryMaxDelay : retryMaxDelay,
                DeduplicationSettings.forQueue(args, policy, queue, vhost));
    }

    /** The lower of two settings, where -1 means "not set". */
    private static long min(long x, long y) {
        if (x < 0) {
            return y;
        }
        return y < 0 ? x : Math.min(x, y);
    }

    /** Reads typed settings from one table, with its key prefix and its error texts. */
    private record Reader(Map<String, Object> table, String prefix, String queue, String vhost) {

        BrokerException invalid(String key, String why) {
            if (prefix.isEmpty()) {
                return BrokerException.of(ErrorKind.PRECONDITION_FAILED,
                        "invalid policy setting '%s' for queue '%s' in vhost '%s': %s", key, queue, vhost, why);
            }
            return BrokerException.of(ErrorKind.PRECONDITION_FAILED, "invalid arg '%s%s' for queue '%s' in vhost '%s': %s",
                    prefix, key, queue, vhost, why);
        }

        /** An integer within bounds, or -1 when absent. */
        long range(String key, long min, long max) {
            Object v = table.get(prefix + key);
            if (v == null) {
                return -1;
            }
            if (!(v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long)) {
                throw invalid(key, "\"expected integer, got " + FieldTable.typeName(v) + "\"");
            }
            long n = ((Number) v).longValue();
            if (n < 0) {
                throw invalid(key, "{value_negative," + n + "}");
            }
            if (n < min) {
                throw invalid(key, "{value_too_small," + n + "} (at least " + min + ")");
            }
            if (n > max) {
                throw invalid(key, "{value_too_large," + n + "} (at most " + max + ")");
            }
            return n;
        }

        /**
         * A limit of 0 or more, or -1 when absent or set to -1: RabbitMQ 4 takes -1 to turn the
         * delivery limit off (its quorum queues have one by default), so clients and policies
         * written for it must be accepted. Here -1 means what absence means.
         */
        long limitOrOff(String key) {
            Object v = table.get(prefix + key);
            if ((v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long)
                    && ((Number) v).longValue() == -1) {
                return -1;
            }
            return range(key, 0, Long.MAX_VALUE);
        }

        String string(String key) {
            Object v = table.get(prefix + key);
            if (v == null) {
                return null;
            }
            if (!(v instanceof String s)) {
                throw invalid(key, "{unacceptable_type," + FieldTable.typeName(v) + "}");
            }
            return s;
        }

        boolean bool(String key) {
            Object v = table.get(prefix + key);
            if (v == null) {
                return false;
            }
            if (!(v instanceof Boolean b)) {
                throw invalid(key, "{unacceptable_type," + FieldTable.typeName(v) + "}");
            }
            return b;
        }

        Overflow overflow() {
            String s = string("overflow");
            if (s == null) {
                return null;
            }
            Overflow o = Overflow.of(s);
            if (o == null) {
                throw invalid("overflow", "invalid_overflow: '" + s
                        + "' is not one of drop-head, reject-publish, reject-publish-dlx");
            }
            return o;
        }
    }
}
