package io.spool.broker.model;

import io.spool.broker.store.Definitions;
import io.spool.broker.store.DefinitionsFile;
import io.spool.broker.store.QueueStore;
import io.spool.broker.store.Storage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A virtual host: a namespace of exchanges, queues and the bindings between them, and the
 * routing of published messages through them.
 *
 * <p>Threads: lookups and {@link #route} are lock-free and run on any thread. Every change of
 * topology (declare, delete, bind, unbind) takes the topology lock, which may then take one
 * queue's lock; never the reverse.
 */
public final class VirtualHost {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(VirtualHost.class);

    public static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";
    private static final String DIRECT_REPLY_PREFIX = DIRECT_REPLY_TO + ".";

    /** Queue arguments that must match when a queue is declared again, as RabbitMQ checks them. */
    private static final List<String> EQUIVALENT_QUEUE_ARGS = List.of(
            "x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key",
            "x-max-length", "x-max-length-bytes", "x-max-priority", "x-overflow", "x-queue-mode",
            "x-single-active-consumer");

    private final String name;
    private final MessageMemory memory;
    private final Storage storage;
    private final Object topology = new Object();
    private final ConcurrentHashMap<String, Exchange> exchanges = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Queue> queues = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Consumer> directReplies = new ConcurrentHashMap<>();
    private final Policies policies = new Policies();
    private final DirectExchange defaultExchange;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "spool-queue-timers");
        t.setDaemon(true);
        return t;
    });
    /** A durable object changed under the topology lock; save before releasing it. */
    private boolean definitionsDirty;
    /** Delayed delivery; null until {@link #startDelayedMessages()}. */
    private volatile DelayedMessages delayed;

    public VirtualHost(String name, MessageMemory memory, Storage storage) {
        this.name = name;
        this.memory = memory;
        this.storage = storage;
        defaultExchange = new DirectExchange("", true, false, false, Map.of());
        exchanges.put("", defaultExchange);
        builtIn("amq.direct", DirectExchange.TYPE, false);
        builtIn("amq.fanout", FanoutExchange.TYPE, false);
        builtIn("amq.topic", TopicExchange.TYPE, false);
        builtIn("amq.headers", HeadersExchange.TYPE, false);
        builtIn("amq.match", HeadersExchange.TYPE, false);
        builtIn("amq.rabbitmq.trace", TopicExchange.TYPE, true);
    }

    private void builtIn(String exchangeName, String type, boolean internal) {
        exchanges.put(exchangeName, Exchange.create(type, exchangeName, true, false, internal, Map.of()));
    }

    public String name() {
        return name;
    }

    public MessageMemory memory() {
        return memory;
    }

    // ---- lookups ----

    public Exchange exchange(String exchangeName) {
        return exchanges.get(exchangeName);
    }

    public Queue queue(String queueName) {
        return queues.get(queueName);
    }

    public Collection<Exchange> exchanges() {
        return exchanges.values();
    }

    public Collection<Queue> queues() {
        return queues.values();
    }

    public Exchange requireExchange(String exchangeName) {
        Exchange x = exchanges.get(exchangeName);
        if (x == null) {
            throw BrokerException.of(ErrorKind.NOT_FOUND, "no exchange '%s' in vhost '%s'", exchangeName, name);
        }
        return x;
    }

    public Queue requireQueue(String queueName) {
        Queue q = queues.get(queueName);
        if (q == null) {
            throw BrokerException.of(ErrorKind.NOT_FOUND, "no queue '%s' in vhost '%s'", queueName, name);
        }
        return q;
    }

    /** All bindings, in no particular order (for listings). */
    public List<Binding> bindings() {
        synchronized (topology) {
            List<Binding> all = new ArrayList<>();
            for (Exchange x : exchanges.values()) {
                all.addAll(x.outbound());
            }
            return all;
        }
    }

    // ---- exchanges ----

    /** Declares an exchange, or checks that an existing one matches; returns it. */
    public Exchange declareExchange(String exchangeName, String type, boolean durable, boolean autoDelete,
                                    boolean internal, Map<String, Object> arguments) {
        if (!Exchange.knownType(type)) {
            throw BrokerException.of(ErrorKind.PRECONDITION_FAILED, "unknown exchange type '%s'", type);
        }
        if (exchangeName.isEmpty()) {
            throw new BrokerException(ErrorKind.ACCESS_REFUSED, "operation not permitted on the default exchange");
        }
        synchronized (topology) {
            Exchange existing = exchanges.get(exchangeName);
            if (existing != null) {
                checkEquivalent(existing, type, durable, autoDelete, internal, arguments);
                return existing;
            }
            if (exchangeName.startsWith("amq.")) {
                throw BrokerException.of(ErrorKind.ACCESS_REFUSED,
                        "exchange name '%s' contains reserved prefix 'amq.*'", exchangeName);
            }
            Object ae = arguments == null ? null : arguments.get("alternate-exchange");
            if (ae != null && !(ae instanceof String)) {
                throw BrokerException.of(ErrorKind.PRECONDITION_FAILED,
                        "invalid type '%s' for arg 'alternate-exchange' in exchange '%s' in vhost '%s'",
                        FieldTable.typeName(ae), exchangeName, name);
            }
            Exchange x = Exchange.create(type, exchangeName, durable, autoDelete, internal,
                    arguments == null ? Map.of() : new LinkedHashMap<>(arguments));
            // Also checks the deduplication arguments: a bad one is refused before x is known.
            x.applyPolicy(definitionOf(policies.forExchange(exchangeName)), name);
            try {
                syncKeyLog(x, true);
            } catch (IOException e) {
                log.error("cannot open the deduplication log of exchange '{}': {}", exchangeName, e.toString());
                throw BrokerException.of(ErrorKind.INTERNAL_ERROR,
                        "cannot keep the deduplication keys of exchange '%s' on disk: %s", exchangeName, e.getMessage());
            }
            exchanges.put(exchangeName, x);
            definitionsDirty |= durable;
            saveIfDirtyLocked();
            return x;
        }
    }

    private void checkEquivalent(Exchange x, String type, boolean durable, boolean autoDelete, boolean internal,
                                 Map<String, Object> arguments) {
        String what = "exchange '" + x.name() + "' in vhost '" + name + "'";
        if (!x.type().equals(type)) {
            throw inequivalent("type", what, type, x.type());
        }
        if (x.durable() != durable) {
            throw inequivalent("durable", what, durable, x.durable());
        }
        if (x.autoDelete() != autoDelete) {
            throw inequivalent("auto_delete", what, autoDelete, x.autoDelete());
        }
        if (x.internal() != internal) {
            throw inequivalent("internal", what, internal, x.internal());
        }
        checkArgEquivalent("alternate-exchange", what, arguments, x.arguments());
        if (x instanceof DelayedMessageExchange) {
            // Stricter than RabbitMQ, which ignores a different underlying type on redeclare.
            checkArgEquivalent(DelayedMessageExchange.TYPE_ARGUMENT, what, arguments, x.arguments());
        }
    }

    private static BrokerException inequivalent(String field, String what, Object received, Object current) {
        return BrokerException.of(ErrorKind.PRECONDITION_FAILED,
                "inequivalent arg '%s' for %s: received '%s' but current is '%s'", field, what, received, current);
    }

    private static void checkArgEquivalent(String key, String what, Map<String, Object> received,
                                           Map<String, Object> current) {
        Object r = received == null ? null : received.get(key);
        Object c = current.get(key);
        if (sameArgument(r, c)) {
            return;
        }
        String receivedText;
        String currentText;
        if (r != null && c != null) {
            receivedText = "'" + r + "'";
            currentText = "'" + c + "'";
        } else {
            receivedText = r == null ? "none" : "the value '" + r + "' of type '" + FieldTable.typeName(r) + "'";
            currentText = c == null ? "none" : "the value '" + c + "' of type '" + FieldTable.typeName(c) + "'";
        }
        throw BrokerException.of(ErrorKind.PRECONDITION_FAILED,
                "inequivalent arg '%s' for %s: received %s but current is %s", key, what, receivedText, currentText);
    }

    /** Integers of any width compare by value, as RabbitMQ compares argument types by class. */
    private static boolean sameArgument(Object a, Object b) {
        return FieldValues.equivalent(a, b);
    }

    /**
     * Deletes an exchange and its bindings. Deleting one that does not exist is not an error.
     */
    public void deleteExchange(String exchangeName, boolean ifUnused) {
        synchronized (topology) {
            if (exchangeName.isEmpty()) {
                throw new BrokerException(ErrorKind.ACCESS_REFUSED, "operation not permitted on the default exchange");
            }
            if (exchangeName.startsWith("amq.")) {
                throw BrokerException.of(ErrorKind.ACCESS_REFUSED,
                        "deletion of system exchange '%s' in vhost '%s' not allowed", exchangeName, name);
            }
            Exchange x = exchanges.get(exchangeName);
            if (x == null) {
                return;
            }
            if (ifUnused && !x.outbound().isEmpty()) {
                throw BrokerException.of(ErrorKind.PRECONDITION_FAILED,
                        "exchange '%s' in vhost '%s' in use", exchangeName, name);
            }
            removeExchangeLocked(x);
            saveIfDirtyLocked();
        }
    }

    /**
     * Gives an exchange that keeps its deduplication keys on disk (now, after its arguments and
     * policy) its log, or deletes the log of one that no longer does. {@code fresh}: a new log
     * starts empty; false only when the log's keys are the exchange's own, at a restart.
     */
    private void syncKeyLog(Exchange x, boolean fresh) throws IOException {
        if (x.keepsKeysOnDisk() && !x.hasKeyLog()) {
            x.attachKeyLog(storage.openDeduplicationLog(name, x.name(), fresh));
        } else if (!x.keepsKeysOnDisk() && x.hasKeyLog()) {
            x.deleteKeyLog();
        }
    }

    private void removeExchangeLocked(Exchange x) {
        exchanges.remove(x.name(), x);
        x.markDeleted();
        try {
            x.deleteKeyLog();
        } catch (IOException e) {
            // Whatever is left is deleted at the next start, as no exchange owns it.
            log.warn("cannot delete the deduplication log of exchange '{}': {}", x.name(), e.toString());
        }
        definitionsDirty |= x.durable();
        for (Binding b : List.copyOf(x.outbound())) {
            removeBindingLocked(b);
        }
        for (Binding b : List.copyOf(x.inbound())) {
            removeBindingLocked(b);
        }
    }

    // ---- queues ----

    /** The outcome of a queue declaration. */
    public record DeclaredQueue(Queue queue, boolean created) {}

    /**
     * Declares a queue, or checks that an existing one matches; an empty name asks for a
     * server-generated one.
     */
    public DeclaredQueue declareQueue(String queueName, boolean durable, boolean exclusive, boolean autoDelete,
                                      Map<String, Object> arguments, Object owner) {
        synchronized (topology) {
            if (queueName.startsWith("amq.")) {
                throw BrokerException.of(ErrorKind.ACCESS_REFUSED,
                        "queue name '%s' contains reserved prefix 'amq.*'", queueName);
            }
            String actual = queueName.isEmpty() ? generateQueueName() : queueName;
            // As in RabbitMQ, an exclusive queue is never durable, whatever the client asked.
            boolean effectivelyDurable = durable && !exclusive;
            Queue existing = queues.get(actual);
            if (existing != null) {
                existing.checkAccess(owner);
                checkEquivalent(existing, effectivelyDurable, exclusive, autoDelete, arguments);
                existing.touch();
                return new DeclaredQueue(existing, false);
            }
            Map<String, Object> policy = policyDefinitionFor(actual);
            QueueArguments settings = QueueArguments.of(arguments, policy, actual, name);
            Queue q = new Queue(this, actual, effectivelyDurable, exclusive, autoDelete,
                    arguments == null ? Map.of() : new LinkedHashMap<>(arguments),
                    exclusive ? owner : null, memory, settings);
            q.initialPolicy(policy);
            q.attach(storage.create(name, actual, effectivelyDurable, q));
            queues.put(actual, q);
            definitionsDirty |= effectivelyDurable;
            saveIfDirtyLocked();
            return new DeclaredQueue(q, true);
        }
    }

    private static String generateQueueName() {
        byte[] random = new byte[16];
        ThreadLocalRandom.current().nextBytes(random);
        return "amq.gen-" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    private void checkEquivalent(Queue q, boolean durable, boolean exclusive, boolean autoDelete,
                                 Map<String, Object> arguments) {
        String what = "queue '" + q.name() + "' in vhost '" + name + "'";
        if (q.exclusive() != exclusive) {
            throw q.lockedError();
        }
        if (q.durable() != durable) {
            throw inequivalent("durable", what, durable, q.durable());
        }
        if (q.autoDelete() != autoDelete) {
            throw inequivalent("auto_delete", what, autoDelete, q.autoDelete());
        }
        for (String key : EQUIVALENT_QUEUE_ARGS) {
            checkArgEquivalent(key, what, arguments, q.arguments());
        }
    }

    /**
     * Deletes a queue, its bindings and its messages; its consumers are told. Returns the
     * number of messages it held; deleting a queue that does not exist returns 0.
     */
    public int deleteQueue(String queueName, boolean ifUnused, boolean ifEmpty, Object owner) {
        Queue q;
        int messages;
        List<Consumer> cancelled;
        synchronized (topology) {
            q = queues.get(queueName);
            if (q == null) {
                return 0;
            }
            q.checkAccess(owner);
            messages = q.messageCount();
            if (ifEmpty && messages > 0) {
                throw BrokerException.of(ErrorKind.PRECONDITION_FAILED, "queue '%s' in vhost '%s' not empty",
                        queueName, name);
            }
            if (ifUnused && q.consumerCount() > 0) {
                throw BrokerException.of(ErrorKind.PRECONDITION_FAILED, "queue '%s' in vhost '%s' in use",
                        queueName, name);
            }
            cancelled = removeQueueLocked(q);
            saveIfDirtyLocked();
        }
        notifyCancelled(cancelled);
        return messages;
    }

    private List<Consumer> removeQueueLocked(Queue q) {
        queues.remove(q.name(), q);
        definitionsDirty |= q.durable();
        for (Binding b : List.copyOf(q.inbound())) {
            removeBindingLocked(b);
        }
        return q.markDeleted();
    }

    private static void notifyCancelled(List<Consumer> consumers) {
        for (Consumer c : consumers) {
            c.owner().cancelledByBroker(c);
        }
    }

    /** Called by a queue unused for longer than its x-expires: deleted, its messages with it. */
    void expireQueue(Queue q) {
        List<Consumer> cancelled;
        synchronized (topology) {
            if (queues.get(q.name()) != q || q.consumerCount() > 0) {
                return;
            }
            cancelled = removeQueueLocked(q);
            saveIfDirtyLocked();
        }
        notifyCancelled(cancelled);
    }

    /** Called by a queue whose last consumer left while it is auto-delete. */
    void autoDeleteQueue(Queue q) {
        List<Consumer> cancelled;
        synchronized (topology) {
            if (queues.get(q.name()) != q || q.consumerCount() > 0) {
                return;
            }
            cancelled = removeQueueLocked(q);
            saveIfDirtyLocked();
        }
        notifyCancelled(cancelled);
    }

    /** Deletes the exclusive queues of an owner that has gone (a closed connection). */
    public void deleteExclusiveQueues(Object owner) {
        List<Consumer> cancelled = new ArrayList<>();
        synchronized (topology) {
            for (Queue q : List.copyOf(queues.values())) {
                if (q.exclusive() && q.exclusiveOwner() == owner) {
                    cancelled.addAll(removeQueueLocked(q));
                }
            }
            saveIfDirtyLocked();
        }
        notifyCancelled(cancelled);
    }

    // ---- bindings ----

    /** Binds a destination to a source exchange; binding twice is harmless. */
    public void bind(String sourceName, Destination destination, String routingKey, Map<String, Object> arguments) {
        synchronized (topology) {
            Exchange source = requireExchange(sourceName);
            checkBindable(source, destination);
            Exchange matcher = source instanceof DelayedMessageExchange d ? d.matcher() : source;
            String error = switch (matcher) {
                case HeadersExchange h -> HeadersExchange.validateBindingArguments(arguments);
                case TopicExchange t -> TopicExchange.validateBindingKey(routingKey);
                default -> null;
            };
            if (error != null) {
                throw new BrokerException(ErrorKind.PRECONDITION_FAILED, error);
            }
            Binding b = new Binding(source, destination, routingKey, arguments);
            if (source.outbound().add(b)) {
                inboundOf(destination).add(b);
                source.addRoute(b);
                definitionsDirty |= durable(b);
                saveIfDirtyLocked();
            }
        }
    }

    /** Removes a binding; removing one that does not exist is not an error. */
    public void unbind(String sourceName, Destination destination, String routingKey, Map<String, Object> arguments) {
        synchronized (topology) {
            Exchange source = requireExchange(sourceName);
            checkBindable(source, destination);
            Binding b = new Binding(source, destination, routingKey, arguments);
            if (source.outbound().contains(b)) {
                removeBindingLocked(b);
                saveIfDirtyLocked();
            }
        }
    }

    private void checkBindable(Exchange source, Destination destination) {
        if (source == defaultExchange || destination == defaultExchange) {
            throw new BrokerException(ErrorKind.ACCESS_REFUSED, "operation not permitted on the default exchange");
        }
        if (destination instanceof Queue q && q.deleted() || destination instanceof Exchange x && x.deleted()) {
            throw BrokerException.of(ErrorKind.NOT_FOUND, "no %s '%s' in vhost '%s'",
                    destination.kindName(), destination.name(), name);
        }
    }

    private static Set<Binding> inboundOf(Destination d) {
        return d instanceof Queue q ? q.inbound() : ((Exchange) d).inbound();
    }

    private void removeBindingLocked(Binding b) {
        Exchange source = b.source();
        if (!source.outbound().remove(b)) {
            return;
        }
        inboundOf(b.destination()).remove(b);
        source.removeRoute(b);
        definitionsDirty |= durable(b);
        if (source.autoDelete() && source.outbound().isEmpty() && !source.deleted()) {
            removeExchangeLocked(source);
        }
    }

    // ---- durability ----

    private static boolean durable(Binding b) {
        boolean destinationDurable = b.destination() instanceof Queue q ? q.durable() : ((Exchange) b.destination()).durable();
        return b.source().durable() && destinationDurable;
    }

    /**
     * Writes the durable topology if it changed. Under the topology lock, so the file always
     * matches a state the broker was in; an fsync per change is fine at declaration rates.
     */
    private void saveIfDirtyLocked() {
        if (!definitionsDirty) {
            return;
        }
        definitionsDirty = false;
        try {
            storage.definitions().save(snapshotLocked());
        } catch (IOException e) {
            throw BrokerException.of(ErrorKind.INTERNAL_ERROR, "cannot save definitions: %s", e.getMessage());
        }
    }

    private Definitions snapshotLocked() {
        List<Definitions.ExchangeDef> xs = new ArrayList<>();
        List<Definitions.BindingDef> bs = new ArrayList<>();
        for (Exchange x : exchanges.values()) {
            if (x.durable() && !x.builtIn()) {
                xs.add(new Definitions.ExchangeDef(x.name(), x.type(), true, x.autoDelete(), x.internal(),
                        DefinitionsFile.encodeArguments(x.arguments())));
            }
            for (Binding b : x.outbound()) {
                if (durable(b)) {
                    bs.add(new Definitions.BindingDef(x.name(), b.destination().name(), b.destination().kindName(),
                            b.routingKey(), DefinitionsFile.encodeArguments(Binding.wireArguments(b.arguments()))));
                }
            }
        }
        List<Definitions.QueueDef> qs = new ArrayList<>();
        for (Queue q : queues.values()) {
            if (q.durable()) {
                qs.add(new Definitions.QueueDef(q.name(), q.autoDelete(), DefinitionsFile.encodeArguments(q.arguments())));
            }
        }
        List<Definitions.PolicyDef> ps = new ArrayList<>();
        for (Policy p : policies.all()) {
            ps.add(new Definitions.PolicyDef(p.name(), p.pattern().pattern(), p.definition(), p.priority(),
                    p.applyTo().wire));
        }
        return new Definitions(Definitions.VERSION, xs, qs, bs, ps);
    }

    /** What restoring found, for the start-up log. */
    public record RestoreReport(int exchanges, int queues, int bindings, long messages, int damaged, long cutBytes,
                                long millis) {}

    /**
     * Brings back the durable topology and the messages of durable queues after a restart.
     * Called once, before any client connects.
     */
    public RestoreReport restore() throws IOException {
        long started = System.nanoTime();
        Definitions d = storage.definitions().load();
        long messages = 0;
        int damaged = 0;
        long cut = 0;
        Set<java.nio.file.Path> owned = new java.util.HashSet<>();
        synchronized (topology) {
            // Policies first, so that every exchange and queue comes back with its own.
            restorePoliciesLocked(d.policies());
            for (Definitions.ExchangeDef x : d.exchanges()) {
                if (Exchange.knownType(x.type()) && !exchanges.containsKey(x.name())) {
                    try {
                        exchanges.put(x.name(), Exchange.create(x.type(), x.name(), true, x.autoDelete(), x.internal(),
                                new LinkedHashMap<>(DefinitionsFile.decodeArguments(x.arguments()))));
                    } catch (BrokerException e) {
                        log.warn("skipping saved exchange '{}': {}", x.name(), e.getMessage());
                    }
                }
            }
            Set<java.nio.file.Path> keyLogs = new java.util.HashSet<>();
            for (Exchange x : exchanges.values()) {
                if (x != defaultExchange) {
                    x.applyPolicy(definitionOf(policies.forExchange(x.name())), name);
                }
                if (x.keepsKeysOnDisk()) {
                    try {
                        syncKeyLog(x, false);
                    } catch (IOException e) {
                        // Not started without them: the keys are what keeps duplicates out.
                        throw new IOException("cannot read the deduplication keys of exchange '" + x.name() + "' in "
                                + storage.deduplicationDirFor(name, x.name()) + ": " + e.getMessage(), e);
                    }
                    keyLogs.add(storage.deduplicationDirFor(name, x.name()));
                }
            }
            storage.deleteUnownedDeduplicationLogs(keyLogs);
            for (Definitions.QueueDef qd : d.queues()) {
                Map<String, Object> args = new LinkedHashMap<>(DefinitionsFile.decodeArguments(qd.arguments()));
                Map<String, Object> policy = policyDefinitionFor(qd.name());
                Queue q = new Queue(this, qd.name(), true, false, qd.autoDelete(), args, null, memory,
                        QueueArguments.of(args, policy, qd.name(), name));
                q.initialPolicy(policy);
                QueueStore.Recovery r = storage.recover(name, qd.name(), q);
                q.attach(r);
                queues.put(qd.name(), q);
                owned.add(storage.dirFor(name, qd.name(), true));
                messages += r.recovered();
                damaged += r.damaged();
                cut += r.cutBytes();
                log.info("recovered queue '{}': {} messages in {} ms ({} acked, {} transient dropped, {} damaged "
                                + "skipped, {} bytes cut, {} settled segments deleted)", qd.name(), r.recovered(),
                        r.millis(), r.acked(), r.transientDropped(), r.damaged(), r.cutBytes(), r.segmentsDeleted());
            }
            int bindings = 0;
            for (Definitions.BindingDef b : d.bindings()) {
                Exchange source = exchanges.get(b.source());
                Destination dest = b.destinationType().equals("queue") ? queues.get(b.destination())
                        : exchanges.get(b.destination());
                if (source == null || dest == null) {
                    log.warn("skipping saved binding {} -> {} '{}': an end is missing", b.source(), b.destinationType(),
                            b.destination());
                    continue;
                }
                Binding binding = new Binding(source, dest, b.routingKey(),
                        new LinkedHashMap<>(DefinitionsFile.decodeArguments(b.arguments())));
                if (source.outbound().add(binding)) {
                    inboundOf(dest).add(binding);
                    source.addRoute(binding);
                    bindings++;
                }
            }
            for (Queue q : queues.values()) {
                q.startExpiry();
            }
            int orphans = storage.deleteUnowned(owned);
            if (orphans > 0) {
                log.info("deleted {} store(s) of queues deleted before the restart", orphans);
            }
            return new RestoreReport(d.exchanges().size(), d.queues().size(), bindings, messages, damaged, cut,
                    java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
    }

    /**
     * Closes every queue's store at a clean shutdown. Delayed delivery stops first, and its
     * schedule closes last, once what it delivered is safe in the queues' stores.
     */
    public void close() {
        timer.shutdownNow();
        DelayedMessages d = delayed;
        if (d != null) {
            d.stop();
        }
        for (Queue q : queues.values()) {
            q.close();
        }
        if (d != null) {
            d.close();
        }
        for (Exchange x : exchanges.values()) {
            x.closeKeyLog();
        }
    }

    // ---- delayed delivery ----

    /**
     * Opens this virtual host's schedule of delayed messages and starts delivering what is due.
     * Called once, after {@link #restore()} and before any client connects.
     */
    public void startDelayedMessages() throws IOException {
        delayed = DelayedMessages.start(this, storage);
    }

    /** Delayed delivery, also for broker-side retries (see {@link DelayedMessages}); null before it starts. */
    public DelayedMessages delayedMessages() {
        return delayed;
    }

    /**
     * Schedules a routed message at each delayed exchange it reached (see
     * {@link RoutingResult#delayed()}). Returns the group-commit generation to wait for before
     * confirming it (0: none), or {@link Queue#REFUSED} if the schedule could not take it.
     */
    private long scheduleDelayed(RoutingResult result) {
        DelayedMessages d = delayed;
        if (d == null) {
            return Queue.REFUSED;
        }
        long generation = 0;
        for (RoutingResult.DelayedHop hop : result.delayedHops()) {
            long g = d.scheduleForExchange(hop.exchange(), result.published(), hop.delayMillis());
            if (g == Queue.REFUSED) {
                return Queue.REFUSED;
            }
            generation = Math.max(generation, g);
        }
        return generation;
    }

    /**
     * Hands a routed message to everything {@link #route} found: each matched queue, the
     * consumer of a direct reply-to address, and the schedule of each delayed exchange reached.
     * Returns the group-commit generation to wait for before the message counts as taken (0:
     * none), or {@link Queue#REFUSED} if a queue or the schedule could not store it. A queue's
     * reject-publish limit turning it away does not refuse it for the others; it is noted in
     * {@link RoutingResult#rejected()}.
     */
    public long enqueueRouted(RoutingResult routing) {
        Message routed = routing.message();
        List<Queue> queues = routing.queues();
        long generation = 0;
        boolean refused = false;
        for (int i = 0; i < queues.size(); i++) {
            long g = queues.get(i).enqueue(routed);
            if (g == Queue.REFUSED) {
                refused = true;
            } else if (g == Queue.REJECTED) {
                routing.markRejected();
            } else {
                generation = Math.max(generation, g);
            }
        }
        Consumer reply = routing.directReply();
        if (reply != null) {
            reply.owner().deliver(reply, QueueEntry.unqueued(routed));
        }
        if (routing.delayed()) {
            long g = scheduleDelayed(routing);
            refused |= g == Queue.REFUSED;
            generation = Math.max(generation, g);
        }
        return refused ? Queue.REFUSED : generation;
    }

    /** Whether a message would reach a queue now if no delayed exchange held it back. */
    boolean routesIgnoringDelays(Exchange exchange, Message message) {
        RoutingResult dryRun = new RoutingResult(true);
        route(exchange, message, dryRun);
        return dryRun.routed();
    }

    // ---- job semantics: policies, timers, dead letters ----

    /** Every policy, highest priority first. */
    public List<Policy> policies() {
        return policies.all();
    }

    /** The policy of that name, or null. */
    public Policy policy(String policyName) {
        return policies.get(policyName);
    }

    /** The policy that applies to a queue, or null. */
    public Policy policyOf(Queue q) {
        return policies.forQueue(q.name());
    }

    /** The policy that applies to an exchange, or null (always for the default exchange). */
    public Policy policyOf(Exchange x) {
        return x == defaultExchange ? null : policies.forExchange(x.name());
    }

    /**
     * Adds or replaces a policy, saves it, and applies the policies anew to every existing
     * queue and exchange. Returns true if the policy is new.
     */
    public boolean setPolicy(Policy policy) {
        synchronized (topology) {
            Policy old = policies.put(policy);
            try {
                savePoliciesLocked();
            } catch (BrokerException e) {
                // Not saved: not in force either, so that what runs is what a restart brings back.
                if (old == null) {
                    policies.remove(policy.name());
                } else {
                    policies.put(old);
                }
                throw e;
            }
            applyPoliciesLocked();
            return old == null;
        }
    }

    /** Removes a policy and applies the rest anew; false if there was none of that name. */
    public boolean clearPolicy(String policyName) {
        synchronized (topology) {
            Policy old = policies.remove(policyName);
            if (old == null) {
                return false;
            }
            try {
                savePoliciesLocked();
            } catch (BrokerException e) {
                policies.put(old);
                throw e;
            }
            applyPoliciesLocked();
            return true;
        }
    }

    private void savePoliciesLocked() {
        definitionsDirty = true;
        saveIfDirtyLocked();
    }

    /**
     * Gives every exchange and queue whose policy changed its new one. A queue acts on it at
     * once (trims to a new max-length, expires by a new TTL); one that cannot take it keeps
     * what it had, which the log says.
     */
    private void applyPoliciesLocked() {
        for (Exchange x : exchanges.values()) {
            if (x == defaultExchange) {
                continue;
            }
            Map<String, Object> def = definitionOf(policies.forExchange(x.name()));
            if (!java.util.Objects.equals(def, x.policy())) {
                x.applyPolicy(def, name);
                try {
                    syncKeyLog(x, true);
                } catch (IOException e) {
                    log.error("exchange '{}' in vhost '{}' keeps its deduplication keys in memory only: {}", x.name(),
                            name, e.toString());
                }
            }
        }
        for (Queue q : queues.values()) {
            Map<String, Object> def = policyDefinitionFor(q.name());
            if (!java.util.Objects.equals(def, q.policy())) {
                try {
                    q.applyPolicy(def);
                } catch (BrokerException e) {
                    log.warn("policy not applied to {} in vhost '{}': {}", q, name, e.getMessage());
                }
            }
        }
    }

    private void restorePoliciesLocked(List<Definitions.PolicyDef> saved) {
        for (Definitions.PolicyDef p : saved) {
            try {
                policies.put(PolicyValidator.build(p.name(), p.pattern(), p.definition(), p.priority(), p.applyTo()));
            } catch (BrokerException e) {
                log.warn("skipping saved policy '{}': {}", p.name(), e.getMessage());
            }
        }
    }

    private static Map<String, Object> definitionOf(Policy p) {
        return p == null ? null : p.definition();
    }

    /** The definition of the policy that applies to a queue, or null. */
    private Map<String, Object> policyDefinitionFor(String queueName) {
        return definitionOf(policies.forQueue(queueName));
    }

    /**
     * Runs a task on the timer thread once a group-commit generation is durable (at once if
     * it is), so that the commit thread never waits on a queue lock.
     */
    void whenDurable(long generation, Runnable task) {
        storage.commit().whenDurable(generation, () -> {
            try {
                timer.execute(task);
            } catch (RejectedExecutionException e) {
                // Shutting down: the task is left undone, as a crash would leave it.
            }
        });
    }

    /** Runs queue timers: message TTLs, x-expires. One thread; tasks must be quick. */
    ScheduledExecutorService timer() {
        return timer;
    }

    /**
     * Routes messages a queue gave up on to its dead-letter exchange with their x-death
     * headers. Called without any queue lock held. A missing exchange, or one that routes
     * nowhere, drops them silently, as does a cycle RabbitMQ would detect.
     */
    void deadLetter(Queue source, List<DeadLetter> letters) {
        long now = System.currentTimeMillis();
        RoutingResult result = new RoutingResult();
        for (DeadLetter dl : letters) {
            Exchange x = exchanges.get(dl.exchange());
            if (x == null) {
                log.debug("dead letter from {} dropped: no exchange '{}'", source, dl.exchange());
                continue;
            }
            Message m = DeadLetters.deadLettered(dl, source.name(), now);
            List<String> keys = DeadLetters.routingKeys(dl, DeadLetters.ownRoutingKeys(dl.message(),
                    dl.message().properties().headers()));
            result.reset(m, this, x);
            if (x == defaultExchange) {
                for (String key : keys) {
                    routeDefault(key, result);
                }
            } else {
                result.visited.add(x);
                routeThrough(x, keys, result);
            }
            for (Queue target : List.copyOf(result.queues())) {
                if (DeadLetters.isCycle(m, dl.reason(), target.name())) {
                    log.warn("dead-letter cycle: message from {} to {} dropped ({})", source, target, dl.reason().wire);
                    continue;
                }
                target.enqueue(m);
            }
            if (result.delayed()) {
                // A dead-letter exchange of type x-delayed-message delays the dead letter by its
                // x-delay header, as the plugin's routing does for any message that enters it.
                scheduleDelayed(result);
            }
        }
    }

    // ---- direct reply-to ----

    /** Registers a reply consumer and returns the address requesters put in {@code reply_to}. */
    public String registerDirectReply(Consumer consumer) {
        byte[] random = new byte[18];
        ThreadLocalRandom.current().nextBytes(random);
        String address = DIRECT_REPLY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        directReplies.put(address, consumer);
        return address;
    }

    public void unregisterDirectReply(String address) {
        directReplies.remove(address);
    }

    public boolean directReplyExists(String address) {
        return directReplies.containsKey(address);
    }

    // ---- routing ----

    /**
     * Routes a message published to an exchange: by its routing key and the extra keys of its
     * {@code CC} and {@code BCC} headers, following exchange-to-exchange bindings, and to an
     * exchange's alternate exchange when that exchange itself matched nothing. Every exchange is
     * visited at most once, so cycles end. The default exchange has no alternate. An exchange
     * that deduplicates matches nothing for a duplicate. A delayed exchange with a delay to
     * apply is noted in the result rather than routed through (deduplication, if it has any,
     * applies when the message is routed through it, due).
     */
    public void route(Exchange exchange, Message message, RoutingResult result) {
        result.reset(message, this, exchange);
        List<String> keys = routingKeys(message, result);
        if (exchange == defaultExchange) {
            for (int i = 0; i < keys.size(); i++) {
                routeDefault(keys.get(i), result);
            }
            return;
        }
        result.visited.add(exchange);
        routeThrough(exchange, keys, result);
    }

    private void routeDefault(String key, RoutingResult result) {
        Queue q = queues.get(key);
        if (q != null) {
            result.addQueue(q);
        } else if (key.startsWith(DIRECT_REPLY_PREFIX)) {
            Consumer c = directReplies.get(key);
            // A well-formed reply address whose requester has gone counts as routed and is
            // dropped, as in RabbitMQ: the responder has done its part.
            result.directReply(c, true);
        }
    }

    private void routeThrough(Exchange exchange, List<String> keys, RoutingResult result) {
        if (exchange instanceof DelayedMessageExchange && !result.ignoreDelays) {
            long delay = DelayHeader.of(result.published().properties());
            if (delay > 0) {
                // Held back, not routed: neither its bindings nor its alternate exchange see it now.
                result.delay(exchange, delay);
                return;
            }
        }
        List<Destination> found = result.scratch.isEmpty() ? result.scratch : new ArrayList<>();
        Object dedupKey = exchange.checkDuplicate(result.message());
        if (dedupKey != Deduplication.DUPLICATE) {
            if (dedupKey != null) {
                result.rememberedAt(exchange, dedupKey);
            }
            for (int i = 0; i < keys.size(); i++) {
                exchange.route(result.message(), keys.get(i), found);
            }
        }
        // A duplicate matches nothing here, as the plugin's exchange answers RabbitMQ: it goes to
        // the alternate exchange if there is one, else it is unroutable (a mandatory publisher
        // gets it back, a confirming one an ack).
        if (found.isEmpty()) {
            String aeName = exchange.alternateExchange();
            Exchange ae = aeName == null ? null : exchanges.get(aeName);
            if (ae != null && !result.visited.contains(ae)) {
                result.visited.add(ae);
                routeThrough(ae, keys, result);
            }
            return;
        }
        for (int i = 0; i < found.size(); i++) {
            Destination d = found.get(i);
            if (d instanceof Queue q) {
                result.addQueue(q);
            } else if (d instanceof Exchange next && !result.visited.contains(next)) {
                result.visited.add(next);
                routeThrough(next, keys, result);
            }
        }
        found.clear();
    }

    /**
     * The routing key plus the keys in the {@code CC} and {@code BCC} headers (arrays of
     * strings). A message with {@code BCC} is replaced in the result by a copy without it.
     */
    private static List<String> routingKeys(Message message, RoutingResult result) {
        if (!message.properties().hasHeaders()) {
            return result.singleKey(message.routingKey());
        }
        Map<String, Object> headers = message.properties().headers();
        Object cc = headers.get("CC");
        Object bcc = headers.get("BCC");
        if (cc == null && bcc == null) {
            return result.singleKey(message.routingKey());
        }
        List<String> keys = new ArrayList<>();
        keys.add(message.routingKey());
        addKeys("CC", cc, keys);
        addKeys("BCC", bcc, keys);
        if (bcc != null) {
            Map<String, Object> stripped = new LinkedHashMap<>(headers);
            stripped.remove("BCC");
            result.message(message.withProperties(message.properties().toBuilder().headers(stripped).build()));
        }
        return keys;
    }

    private static void addKeys(String name, Object header, List<String> keys) {
        if (header == null) {
            return;
        }
        if (!(header instanceof List<?> list)) {
            throw BrokerException.of(ErrorKind.PRECONDITION_FAILED,
                    "invalid message: header '%s' must be an array of routing keys, got %s",
                    name, FieldTable.typeName(header));
        }
        for (Object o : list) {
            if (o instanceof String s) {
                keys.add(s);
            }
        }
    }
}
