package io.spool.broker.model;

import io.spool.broker.store.DeduplicationLog;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An exchange: takes a message and a routing key and names the destinations bound to it that
 * match. Each type keeps its bindings in a structure that suits its matching.
 *
 * <p>Threads: {@link #route} runs on any publishing thread without locks, against structures
 * that bindings replace copy-on-write. Bindings are added and removed only under the owning
 * {@link VirtualHost}'s topology lock, which also guards the binding sets here.
 */
public abstract sealed class Exchange implements Destination
        permits DirectExchange, FanoutExchange, TopicExchange, HeadersExchange,
                DelayedMessageExchange {

    private final String name;
    private final boolean durable;
    private final boolean autoDelete;
    private final boolean internal;
    private final Map<String, Object> arguments;
    private final Set<Binding> outbound = new LinkedHashSet<>();
    private final Set<Binding> inbound = new LinkedHashSet<>();
    private volatile boolean deleted;
    /** The definition of the policy that applies, or null; written under the topology lock. */
    private volatile Map<String, Object> policy;
    private volatile String policyAlternateExchange;
    private final Deduplication dedup = new Deduplication();

    protected Exchange(String name, boolean durable, boolean autoDelete, boolean internal,
                       Map<String, Object> arguments) {
        this.name = name;
        this.durable = durable;
        this.autoDelete = autoDelete;
        this.internal = internal;
        this.arguments = arguments == null ? Map.of() : Collections.unmodifiableMap(arguments);
    }

    /**
     * Creates an exchange of the named type, or null if the type is unknown.
     *
     * @throws BrokerException (406) if the arguments do not suit the type
     */
    public static Exchange create(String type, String name, boolean durable, boolean autoDelete,
                                  boolean internal, Map<String, Object> arguments) {
        return switch (type) {
            case DirectExchange.TYPE -> new DirectExchange(name, durable, autoDelete, internal, arguments);
            case FanoutExchange.TYPE -> new FanoutExchange(name, durable, autoDelete, internal, arguments);
            case TopicExchange.TYPE -> new TopicExchange(name, durable, autoDelete, internal, arguments);
            case HeadersExchange.TYPE -> new HeadersExchange(name, durable, autoDelete, internal, arguments);
            case DeduplicationExchange.TYPE -> new DeduplicationExchange(name, durable, autoDelete, internal, arguments);
            case DelayedMessageExchange.TYPE -> new DelayedMessageExchange(name, durable, autoDelete, internal, arguments);
            default -> null;
        };
    }

    public static boolean knownType(String type) {
        return switch (type) {
            case DirectExchange.TYPE, FanoutExchange.TYPE, TopicExchange.TYPE, HeadersExchange.TYPE,
                 DeduplicationExchange.TYPE, DelayedMessageExchange.TYPE -> true;
            default -> false;
        };
    }

    /** Adds the destinations of bindings matching this message to {@code out}; duplicates allowed. */
    public abstract void route(Message message, String routingKey, List<Destination> out);

    /** Makes a binding take part in routing. Called under the topology lock. */
    protected abstract void addRoute(Binding binding);

    /** Stops a binding taking part in routing. Called under the topology lock. */
    protected abstract void removeRoute(Binding binding);

    public abstract String type();

    @Override
    public String name() {
        return name;
    }

    @Override
    public String kindName() {
        return "exchange";
    }

    public boolean durable() {
        return durable;
    }

    public boolean autoDelete() {
        return autoDelete;
    }

    public boolean internal() {
        return internal;
    }

    public Map<String, Object> arguments() {
        return arguments;
    }

    /**
     * The alternate exchange: the {@code alternate-exchange} argument, else the policy's
     * {@code alternate-exchange}, else null. The argument wins, as in RabbitMQ.
     */
    public String alternateExchange() {
        Object ae = arguments.get("alternate-exchange");
        return ae == null ? policyAlternateExchange : ae.toString();
    }

    /**
     * Applies a policy definition (null: none) on top of the arguments, which were checked when
     * the exchange was declared. Called under the topology lock.
     */
    void applyPolicy(Map<String, Object> definition, String vhost) {
        policy = definition;
        policyAlternateExchange = definition != null && definition.get("alternate-exchange") instanceof String s
                ? s : null;
        dedup.configure(DeduplicationSettings.forExchange(type(), arguments, definition, name, vhost));
    }

    /** The policy definition applied last, or null. */
    public Map<String, Object> policy() {
        return policy;
    }

    /**
     * Checks a message routed through here against the deduplication cache: {@link
     * Deduplication#DUPLICATE} if its key was seen within the cache's memory, else the key now
     * remembered (null if there is none to remember). Any publishing thread may call it.
     */
    Object checkDuplicate(Message m) {
        return dedup.check(m);
    }

    /** Forgets a key {@link #checkDuplicate} remembered: its message was refused after all. */
    void forgetKey(Object key) {
        dedup.forget(key);
    }

    /**
     * Whether this exchange keeps its deduplication keys on disk: a durable exchange declared
     * with {@code x-cache-persistence: disk}.
     */
    public boolean keepsKeysOnDisk() {
        return durable && dedup.onDisk();
    }

    boolean hasKeyLog() {
        return dedup.hasLog();
    }

    /** See {@link Deduplication#keyLogGeneration()}. */
    long keyLogGeneration() {
        return dedup.keyLogGeneration();
    }

    /** Takes the keys the log holds, and logs every key remembered or forgotten from now on. */
    void attachKeyLog(DeduplicationLog log) throws IOException {
        dedup.attachLog(log);
    }

    /** Writes out and closes the key log, if there is one (a clean shutdown). */
    void closeKeyLog() {
        DeduplicationLog log = dedup.detachLog();
        if (log != null) {
            log.close();
        }
    }

    /** Deletes the key log, if there is one (the exchange was deleted). */
    void deleteKeyLog() throws IOException {
        DeduplicationLog log = dedup.detachLog();
        if (log != null) {
            log.delete();
        }
    }

    /** Messages not routed since start because they were duplicates. */
    public long deduplicated() {
        return dedup.duplicates();
    }

    public boolean deleted() {
        return deleted;
    }

    void markDeleted() {
        deleted = true;
    }

    /** Bindings with this exchange as source. Guarded by the topology lock. */
    Set<Binding> outbound() {
        return outbound;
    }

    /** Bindings with this exchange as destination. Guarded by the topology lock. */
    Set<Binding> inbound() {
        return inbound;
    }

    /** True for the default exchange and the {@code amq.*} exchanges every virtual host has. */
    public boolean builtIn() {
        return name.isEmpty() || name.startsWith("amq.");
    }

    @Override
    public String toString() {
        return "exchange '" + name + "'";
    }
}
