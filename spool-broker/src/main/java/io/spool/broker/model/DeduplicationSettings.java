package io.spool.broker.model;

import java.util.Map;

/**
 * Whether an exchange or a queue drops duplicate messages, and how many message keys it
 * remembers for how long. The names are those of RabbitMQ's message-deduplication plugin: the
 * exchange type {@code x-message-deduplication} (which requires {@code x-cache-size}), the
 * boolean argument {@code x-message-deduplication} on a queue (or, as in LavinMQ, on an exchange
 * of any type), {@code x-cache-size} and {@code x-cache-ttl}. A message carries its key in the
 * header {@code x-deduplication-header} and may set how long its key is remembered with an
 * {@code x-cache-ttl} header.
 *
 * <p>Like the plugin, {@code x-cache-size} and {@code x-cache-ttl} may be given as integers or
 * as strings of digits (the plugin's own examples use strings).
 *
 * <p>An exchange may keep its keys on disk, so that they outlive a restart: the plugin's
 * {@code x-cache-persistence} argument, {@code disk} or {@code memory} (the default). Only a
 * durable exchange has a disk to keep them on; a transient one goes with the restart anyway.
 *
 * <p>Policies set the same things with {@code message-deduplication}, {@code cache-size} and
 * {@code cache-ttl}, or the plugin's spelling with {@code x-}. Where an argument and a policy
 * both give a value, the argument wins: it is what the application asked for.
 *
 * @param enabled   duplicates are dropped
 * @param cacheSize most keys remembered, the oldest forgotten to make room; {@link #UNBOUNDED}
 *                  for no limit
 * @param cacheTtl  ms a key is remembered, or -1 for as long as there is room
 * @param onDisk    an exchange's keys are kept on disk ({@code x-cache-persistence: disk})
 */
public record DeduplicationSettings(boolean enabled, int cacheSize, long cacheTtl, boolean onDisk) {

    /** No limit on the keys remembered: a queue's default, since it holds one per message in it. */
    public static final int UNBOUNDED = Integer.MAX_VALUE;

    /**
     * Keys an exchange remembers when deduplication is turned on by the argument or a policy
     * without a size. Small on purpose: an exchange's keys outlive its messages, so size it.
     */
    public static final int DEFAULT_EXCHANGE_CACHE_SIZE = 128;

    public static final DeduplicationSettings OFF = new DeduplicationSettings(false, UNBOUNDED, -1, false);

    /** The exchange type of the plugin: routes like fanout, deduplicates always. */
    public static final String EXCHANGE_TYPE = "x-message-deduplication";
    /** The message header whose value is the deduplication key. */
    public static final String KEY_HEADER = "x-deduplication-header";
    /** A message header giving the ms its key is remembered, instead of the cache's TTL. */
    public static final String TTL_HEADER = "x-cache-ttl";

    private static final String ENABLED = "message-deduplication";
    private static final String SIZE = "cache-size";
    private static final String TTL = "cache-ttl";
    private static final String PERSISTENCE = "x-cache-persistence";

    /** True for the plugin's policy keys, which carry the {@code x-} prefix of arguments. */
    static boolean isPolicyAlias(String key) {
        return key.equals("x-" + ENABLED) || key.equals("x-" + SIZE) || key.equals("x-" + TTL);
    }

    /**
     * A queue's settings from its arguments (checked: a bad value is a 406 naming the argument)
     * and its policy definition (may be null; checked when it was set). A queue remembers a key
     * while the message carrying it is in the queue, so by default without a size limit.
     */
    public static DeduplicationSettings forQueue(Map<String, Object> args, Map<String, Object> policy, String queue,
                                                 String vhost) {
        Arguments a = new Arguments(args, "queue", queue, vhost);
        boolean enabled = a.enabled() != null ? a.enabled() : policyEnabled(policy);
        return enabled ? a.settings(policy, UNBOUNDED, false) : OFF;
    }

    /**
     * An exchange's settings from its type, arguments and policy definition (may be null). The
     * plugin's exchange type requires {@code x-cache-size}, as the plugin does.
     */
    public static DeduplicationSettings forExchange(String type, Map<String, Object> args, Map<String, Object> policy,
                                                    String exchange, String vhost) {
        Arguments a = new Arguments(args, "exchange", exchange, vhost);
        boolean dedupType = EXCHANGE_TYPE.equals(type);
        if (dedupType && a.size < 0) {
            throw a.invalid(SIZE, "required by exchange type '" + EXCHANGE_TYPE + "': an integer greater than 0");
        }
        boolean onDisk = a.onDisk();
        boolean enabled = dedupType || (a.enabled() != null ? a.enabled() : policyEnabled(policy));
        return enabled ? a.settings(policy, DEFAULT_EXCHANGE_CACHE_SIZE, onDisk) : OFF;
    }

    private static boolean policyEnabled(Map<String, Object> policy) {
        return policyValue(policy, ENABLED) instanceof Boolean b && b;
    }

    private static Object policyValue(Map<String, Object> policy, String key) {
        if (policy == null) {
            return null;
        }
        Object v = policy.get(key);
        return v != null ? v : policy.get("x-" + key);
    }

    /** The deduplication arguments of one declaration, read and checked. */
    private static final class Arguments {
        private final Map<String, Object> args;
        private final String kind;
        private final String name;
        private final String vhost;
        final long size;
        final long ttl;

        Arguments(Map<String, Object> args, String kind, String name, String vhost) {
            this.args = args == null ? Map.of() : args;
            this.kind = kind;
            this.name = name;
            this.vhost = vhost;
            Object enabled = this.args.get("x-" + ENABLED);
            if (enabled != null && !(enabled instanceof Boolean)) {
                throw invalid(ENABLED, "must be a boolean, got " + FieldTable.typeName(enabled));
            }
            this.size = positive(SIZE, Integer.MAX_VALUE);
            this.ttl = positive(TTL, QueueArguments.MAX_TTL);
        }

        Boolean enabled() {
            return (Boolean) args.get("x-" + ENABLED);
        }

        /** {@code x-cache-persistence}: true for "disk", false for "memory" or none. */
        boolean onDisk() {
            Object v = args.get(PERSISTENCE);
            if (v == null || "memory".equals(v)) {
                return false;
            }
            if ("disk".equals(v)) {
                return true;
            }
            throw BrokerException.of(ErrorKind.PRECONDITION_FAILED,
                    "invalid arg '%s' for %s '%s' in vhost '%s': must be 'disk' or 'memory', got %s", PERSISTENCE, kind,
                    name, vhost, v instanceof String str ? "'" + str + "'" : FieldTable.typeName(v));
        }

        DeduplicationSettings settings(Map<String, Object> policy, int defaultSize, boolean onDisk) {
            long s = size;
            long t = ttl;
            if (s < 0 && policyValue(policy, SIZE) instanceof Number n) {
                s = n.longValue();
            }
            if (t < 0 && policyValue(policy, TTL) instanceof Number n) {
                t = n.longValue();
            }
            return new DeduplicationSettings(true, s < 0 ? defaultSize : (int) s, t, onDisk);
        }

        /** A positive integer argument (or a string of digits), or -1 when absent. */
        private long positive(String key, long max) {
            Object v = args.get("x-" + key);
            if (v == null) {
                return -1;
            }
            long n;
            if (v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long) {
                n = ((Number) v).longValue();
            } else if (v instanceof String s && s.matches("[0-9]{1,18}")) {
                n = Long.parseLong(s);
            } else {
                throw invalid(key, "must be an integer greater than 0, got "
                        + (v instanceof String s ? "'" + s + "'" : FieldTable.typeName(v)));
            }
            if (n < 1 || n > max) {
                throw invalid(key, "must be an integer greater than 0 and at most " + max + ", got " + n);
            }
            return n;
        }

        BrokerException invalid(String key, String why) {
            return BrokerException.of(ErrorKind.PRECONDITION_FAILED, "invalid arg 'x-%s' for %s '%s' in vhost '%s': %s",
                    key, kind, name, vhost, why);
        }
    }

    /** ms the key of this message is remembered: its own {@code x-cache-ttl} header, or the cache's. */
    long ttlOf(Message m) {
        Object v = m.properties().headers().get(TTL_HEADER);
        if (v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long) {
            long own = ((Number) v).longValue();
            if (own > 0) {
                return own;
            }
        } else if (v instanceof String s && s.matches("[0-9]{1,18}") && Long.parseLong(s) > 0) {
            return Long.parseLong(s);
        }
        return cacheTtl;
    }
}
