package io.spool.broker.amqp;

import io.netty.buffer.ByteBuf;
import io.spool.broker.amqp.method.AmqpMethod;
import io.spool.broker.amqp.method.BasicMethod;
import io.spool.broker.amqp.method.ChannelMethod;
import io.spool.broker.amqp.method.ConfirmMethod;
import io.spool.broker.amqp.method.ExchangeMethod;
import io.spool.broker.amqp.method.QueueMethod;
import io.spool.broker.amqp.method.TxMethod;
import io.spool.broker.amqp.method.AccessMethod;
import io.spool.broker.model.BrokerException;
import io.spool.broker.model.Consumer;
import io.spool.broker.model.ConsumerOwner;
import io.spool.broker.model.ErrorKind;
import io.spool.broker.model.Exchange;
import io.spool.broker.model.Expiration;
import io.spool.broker.model.FieldTable;
import io.spool.broker.model.Message;
import io.spool.broker.model.MessageProperties;
import io.spool.broker.model.Prefetch;
import io.spool.broker.model.Queue;
import io.spool.broker.model.QueueEntry;
import io.spool.broker.model.RoutingResult;
import io.spool.broker.model.VirtualHost;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One AMQP channel: assembles published content, routes it, tracks the consumers it opened and
 * the deliveries awaiting acks, confirms and transactions.
 *
 * <p>Thread: everything runs on the connection's event loop, except the {@link ConsumerOwner}
 * methods, which queues call from any thread and which only touch thread-safe state.
 */
final class AmqpChannel implements ConsumerOwner {

    private static final String REPLY_TO = VirtualHost.DIRECT_REPLY_TO;
    private static final String REPLY_TO_PREFIX = REPLY_TO + ".";
    private static final int INITIAL_BODY_BUFFER = 64 * 1024;

    private enum Settle { ACK, REQUEUE, DISCARD }

    private record TxPublish(Exchange exchange, Message message, boolean mandatory) {}

    private record TxSettle(List<UnackedDeliveries.Delivery> deliveries, Settle how) {}

    private final AmqpConnection conn;
    private final int number;
    private final VirtualHost vhost;
    private final RoutingResult routing = new RoutingResult();
    private final Map<String, Consumer> consumers = new LinkedHashMap<>();
    private final UnackedDeliveries unacked = new UnackedDeliveries();
    /** The channel-wide window set by basic.qos with global=true. */
    private final Prefetch shared = new Prefetch(0);
    /** The per-consumer window basic.qos with global=false sets for consumers created later. */
    private int consumerPrefetch;
    private long deliveryTag;
    private volatile boolean flowActive = true;
    private boolean closing;
    private volatile boolean released;
    private String lastDeclaredQueue;

    // content being assembled
    private BasicMethod.Publish publishing;
    private MessageProperties publishingProperties;
    /**
     * The body received so far. It grows as frames arrive, so a client that announces a large
     * body holds only what it has actually sent; those bytes count against the memory alarm.
     */
    private byte[] publishingBody;
    private int bodyReceived;
    private long bodyExpected;

    // publisher confirms
    private boolean confirmMode;
    private long publishSeq;
    private long confirmedUpTo;
    private long confirmSentUpTo;
    /** Confirms and commit-oks waiting for their messages to reach the disk. */
    private final PendingConfirms durableReplies = new PendingConfirms();
    private boolean waitingForCommit;

    // transactions
    private boolean txMode;
    private final List<TxPublish> txPublishes = new ArrayList<>();
    private final List<TxSettle> txSettles = new ArrayList<>();

    // direct reply-to
    private Consumer replyConsumer;
    private String replyAddress;

    AmqpChannel(AmqpConnection conn, int number, VirtualHost vhost) {
        this.conn = conn;
        this.number = number;
        this.vhost = vhost;
    }

    int number() {
        return number;
    }

    boolean closing() {
        return closing;
    }

    // ---- frames ----

    void onMethod(AmqpMethod method) {
        if (closing) {
            onMethodWhileClosing(method);
            return;
        }
        if (publishing != null) {
            throw new ProtocolException(ErrorKind.UNEXPECTED_FRAME, publishingBody == null
                    ? "expected content header for class 60, got non content header frame instead"
                    : "expected content body, got non content body frame instead", 60, 40);
        }
        switch (method) {
            case BasicMethod.Publish m -> startPublish(m);
            case BasicMethod.Ack m -> ack(m.deliveryTag(), m.multiple(), Settle.ACK);
            case BasicMethod.Nack m -> ack(m.deliveryTag(), m.multiple(), m.requeue() ? Settle.REQUEUE : Settle.DISCARD);
            case BasicMethod.Reject m -> ack(m.deliveryTag(), false, m.requeue() ? Settle.REQUEUE : Settle.DISCARD);
            case BasicMethod.Qos m -> qos(m);
            case BasicMethod.Consume m -> consume(m);
            case BasicMethod.Cancel m -> cancel(m);
            case BasicMethod.Get m -> get(m);
            case BasicMethod.Recover m -> recover(m.requeue(), true);
            case BasicMethod.RecoverAsync m -> recover(m.requeue(), false);
            case BasicMethod.CancelOk m -> { }
            case ExchangeMethod.Declare m -> exchangeDeclare(m);
            case ExchangeMethod.Delete m -> {
                vhost.deleteExchange(m.exchange(), m.ifUnused());
                replyUnlessNoWait(m.noWait(), new ExchangeMethod.DeleteOk());
            }
            case ExchangeMethod.Bind m -> exchangeBind(m);
            case ExchangeMethod.Unbind m -> exchangeUnbind(m);
            case QueueMethod.Declare m -> queueDeclare(m);
            case QueueMethod.Bind m -> queueBind(m);
            case QueueMethod.Unbind m -> queueUnbind(m);
            case QueueMethod.Purge m -> queuePurge(m);
            case QueueMethod.Delete m -> queueDelete(m);
            case ChannelMethod.Close m -> {
                release();
                conn.write(number, new ChannelMethod.CloseOk());
                conn.channelClosed(this);
            }
            case ChannelMethod.Flow m -> flow(m.active());
            case ChannelMethod.FlowOk m -> { }
            case ConfirmMethod.Select m -> confirmSelect(m);
            case TxMethod.Select m -> txSelect();
            case TxMethod.Commit m -> txCommit();
            case TxMethod.Rollback m -> txRollback();
            case AccessMethod.Request m -> conn.write(number, new AccessMethod.RequestOk(1));
            default -> throw new ProtocolException(ErrorKind.COMMAND_INVALID, "unimplemented method",
                    method.classId(), method.methodId());
        }
    }

    private void onMethodWhileClosing(AmqpMethod method) {
        if (method instanceof ChannelMethod.CloseOk) {
            conn.channelClosed(this);
        } else if (method instanceof ChannelMethod.Close) {
            conn.write(number, new ChannelMethod.CloseOk());
            conn.channelClosed(this);
        }
        // Everything else is dropped until the client acknowledges the close.
    }

    void onHeader(Frame.ContentHeader header) {
        if (closing) {
            return;
        }
        if (publishing == null) {
            throw new ProtocolException(ErrorKind.UNEXPECTED_FRAME,
                    "expected method frame, got non method frame instead", 0, 0);
        }
        if (publishingBody != null) {
            throw new ProtocolException(ErrorKind.UNEXPECTED_FRAME,
                    "expected content body, got non content body frame instead", 60, 40);
        }
        if (header.classId() != BasicMethod.CLASS_ID) {
            throw new ProtocolException(ErrorKind.UNEXPECTED_FRAME,
                    "expected content header for class 60, got one for class " + header.classId() + " instead", 60, 40);
        }
        long max = conn.config().maxMessageSize();
        if (header.bodySize() > max) {
            publishing = null;
            throw new BrokerException(ErrorKind.PRECONDITION_FAILED,
                    "message size " + header.bodySize() + " is larger than configured max size " + max);
        }
        try {
            publishingProperties = MessageProperties.decode(header.properties());
            if (publishingProperties.hasHeaders()) {
                // Headers are decoded lazily, but routing reads them anyway (CC, BCC): decode
                // them now so a malformed table is the client's frame error, not ours later.
                publishingProperties.headers();
            }
        } catch (IndexOutOfBoundsException | FieldTable.MalformedTableException e) {
            // The index message of a truncated buffer means nothing to a client; say what happened.
            String why = e instanceof FieldTable.MalformedTableException ? e.getMessage() : "properties truncated";
            throw new ProtocolException(ErrorKind.FRAME_ERROR, "cannot decode content header properties: " + why,
                    60, 40);
        }
        conn.publishReceived();
        bodyExpected = header.bodySize();
        publishingBody = new byte[(int) Math.min(bodyExpected, INITIAL_BODY_BUFFER)];
        bodyReceived = 0;
        if (header.bodySize() == 0) {
            completePublish();
        }
    }

    void onBody(Frame.ContentBody body) {
        if (closing) {
            return;
        }
        if (publishing == null) {
            throw new ProtocolException(ErrorKind.UNEXPECTED_FRAME,
                    "expected method frame, got non method frame instead", 0, 0);
        }
        if (publishingBody == null) {
            throw new ProtocolException(ErrorKind.UNEXPECTED_FRAME,
                    "expected content header for class 60, got non content header frame instead", 60, 40);
        }
        ByteBuf payload = body.payload();
        int n = payload.readableBytes();
        if (n > bodyExpected - bodyReceived) {
            throw new ProtocolException(ErrorKind.FRAME_ERROR,
                    "content body frame exceeds remaining content size", 60, 40);
        }
        if (bodyReceived + n > publishingBody.length) {
            long grown = Math.max(bodyReceived + n, Math.min(bodyExpected, 2L * publishingBody.length));
            publishingBody = java.util.Arrays.copyOf(publishingBody, (int) grown);
        }
        // Like RabbitMQ, a body frame arriving during an alarm blocks the connection; the
        // check comes before these bytes count, so the frame that crosses the mark gets in.
        conn.publishReceived();
        payload.getBytes(payload.readerIndex(), publishingBody, bodyReceived, n);
        bodyReceived += n;
        conn.contentReceived(n);
        if (bodyReceived == bodyExpected) {
            int held = bodyReceived;
            try {
                completePublish();
            } finally {
                // Released after the queues counted the message, so the total does not dip
                // below the mark and flap the alarm.
                conn.contentReceived(-held);
            }
        }
    }

    // ---- publishing ----

    private void startPublish(BasicMethod.Publish m) {
        if (m.immediate()) {
            throw new ProtocolException(ErrorKind.NOT_IMPLEMENTED, "immediate=true", 60, 40);
        }
        publishing = m;
    }

    private void completePublish() {
        BasicMethod.Publish m = publishing;
        MessageProperties properties = publishingProperties;
        byte[] body = publishingBody;
        publishing = null;
        publishingProperties = null;
        publishingBody = null;
        bodyReceived = 0;

        Exchange exchange = vhost.requireExchange(m.exchange());
        if (exchange.internal()) {
            throw BrokerException.of(ErrorKind.ACCESS_REFUSED, "cannot publish to internal exchange '%s' in vhost '%s'",
                    exchange.name(), vhost.name());
        }
        if (properties.expiration() != null) {
            Expiration.check(properties.expiration());
        }
        String userId = properties.userId();
        if (userId != null && !userId.equals(conn.user())) {
            throw BrokerException.of(ErrorKind.PRECONDITION_FAILED,
                    "user_id property set to '%s' but authenticated user was '%s'", userId, conn.user());
        }
        if (REPLY_TO.equals(properties.replyTo())) {
            if (replyAddress == null) {
                throw new BrokerException(ErrorKind.PRECONDITION_FAILED, "fast reply consumer does not exist");
            }
            properties = properties.toBuilder().replyTo(replyAddress).build();
        }
        Message message = new Message(m.exchange(), m.routingKey(), properties, body);
        if (txMode) {
            txPublishes.add(new TxPublish(exchange, message, m.mandatory()));
            return;
        }
        long seq = confirmMode ? ++publishSeq : 0;
        long generation = route(exchange, message, m.mandatory());
        if (confirmMode) {
            if (generation == Queue.REFUSED) {
                // Once the key it left behind is forgotten on disk too, or a retry after a
                // crash would be taken for a duplicate of a message that was never stored.
                replyWhenDurable(-seq, routing.keyLogGeneration());
            } else {
                replyWhenDurable(seq, generation);
            }
        }
    }

    /**
     * Routes and enqueues a message. Returns the group-commit generation it must wait for to
     * be durable (0: none), or {@link Queue#REFUSED} if a queue did not take it. A key an
     * exchange logged on the way counts: the confirm says the key is safe too.
     */
    private long route(Exchange exchange, Message message, boolean mandatory) {
        vhost.route(exchange, message, routing);
        long generation = vhost.enqueueRouted(routing);
        if (mandatory && !routing.routed()) {
            conn.writeWithContent(number, new BasicMethod.Return(312, "NO_ROUTE", message.exchange(),
                    message.routingKey()), routing.message());
        }
        if (generation == Queue.REFUSED || routing.rejected()) {
            routing.forgetDeduplicationKeys();
            return Queue.REFUSED;
        }
        return Math.max(generation, routing.keyLogGeneration());
    }

    /**
     * Owes the client a reply (confirm, nack, commit-ok) once the given generation is on disk;
     * sends whatever is due now and asks the group commit to call back for the rest.
     */
    private void replyWhenDurable(long tag, long generation) {
        durableReplies.add(tag, generation);
        releaseDurableReplies();
        if (!durableReplies.isEmpty() && !waitingForCommit) {
            waitingForCommit = true;
            conn.commit().afterNextCommit(() -> conn.runOnLoop(this::afterCommit));
        }
    }

    private void afterCommit() {
        waitingForCommit = false;
        if (closing || released) {
            durableReplies.clear();
            return;
        }
        releaseDurableReplies();
        flushConfirms();
        conn.flushOut();
        if (!durableReplies.isEmpty()) {
            waitingForCommit = true;
            conn.commit().afterNextCommit(() -> conn.runOnLoop(this::afterCommit));
        }
    }

    private void releaseDurableReplies() {
        long durable = conn.commit().durableGeneration();
        while (durableReplies.firstReady(durable)) {
            long tag = durableReplies.poll();
            if (tag > 0) {
                confirmedUpTo = tag;
            } else {
                flushConfirms();
                if (tag < 0) {
                    conn.write(number, new BasicMethod.Nack(-tag, false, false));
                    confirmSentUpTo = -tag;
                    confirmedUpTo = -tag;
                } else {
                    conn.write(number, new TxMethod.CommitOk());
                }
            }
        }
        if (confirmedUpTo > confirmSentUpTo) {
            conn.confirmsPending(this);
        }
    }

    /** Sends the confirms earned since the last call, as one multiple ack where possible. */
    void flushConfirms() {
        if (confirmedUpTo > confirmSentUpTo) {
            boolean multiple = confirmedUpTo - confirmSentUpTo > 1;
            conn.write(number, new BasicMethod.Ack(confirmedUpTo, multiple));
            confirmSentUpTo = confirmedUpTo;
        }
    }

    private void confirmSelect(ConfirmMethod.Select m) {
        if (txMode) {
            throw new BrokerException(ErrorKind.PRECONDITION_FAILED, "cannot switch from tx to confirm mode");
        }
        confirmMode = true;
        replyUnlessNoWait(m.noWait(), new ConfirmMethod.SelectOk());
    }

    // ---- transactions ----

    private void txSelect() {
        if (confirmMode) {
            throw new BrokerException(ErrorKind.PRECONDITION_FAILED, "cannot switch from confirm to tx mode");
        }
        txMode = true;
        conn.write(number, new TxMethod.SelectOk());
    }

    private void txCommit() {
        requireTx();
        List<TxPublish> publishes = List.copyOf(txPublishes);
        List<TxSettle> settles = List.copyOf(txSettles);
        txPublishes.clear();
        txSettles.clear();
        long generation = 0;
        for (TxPublish p : publishes) {
            generation = Math.max(generation, route(p.exchange(), p.message(), p.mandatory()));
        }
        for (TxSettle s : settles) {
            settle(s.deliveries(), s.how());
        }
        // commit-ok means the transaction's persistent messages are on disk.
        replyWhenDurable(PendingConfirms.COMMIT_OK, generation);
    }

    private void txRollback() {
        requireTx();
        txPublishes.clear();
        for (TxSettle s : txSettles) {
            for (UnackedDeliveries.Delivery d : s.deliveries()) {
                unacked.restore(d);
            }
        }
        txSettles.clear();
        conn.write(number, new TxMethod.RollbackOk());
    }

    private void requireTx() {
        if (!txMode) {
            throw new BrokerException(ErrorKind.PRECONDITION_FAILED, "channel is not transactional");
        }
    }

    // ---- acknowledgements ----

    private void ack(long tag, boolean multiple, Settle how) {
        List<UnackedDeliveries.Delivery> settled;
        if (multiple) {
            if (tag != 0 && !unacked.contains(tag)) {
                throw unknownTag(tag);
            }
            settled = tag == 0 ? unacked.removeAll() : unacked.removeUpTo(tag, new ArrayList<>());
        } else {
            UnackedDeliveries.Delivery d = unacked.remove(tag);
            if (d == null) {
                throw unknownTag(tag);
            }
            settled = List.of(d);
        }
        if (txMode) {
            txSettles.add(new TxSettle(settled, how));
        } else {
            settle(settled, how);
        }
    }

    private static BrokerException unknownTag(long tag) {
        return new BrokerException(ErrorKind.PRECONDITION_FAILED, "unknown delivery tag " + tag);
    }

    /**
     * Returns credit, then settles each run of deliveries from one queue under one lock. If a
     * channel-wide window was full, every queue this channel consumes from may deliver again.
     */
    private void settle(List<UnackedDeliveries.Delivery> deliveries, Settle how) {
        if (deliveries.isEmpty()) {
            return;
        }
        boolean windowReopened = false;
        for (int i = 0; i < deliveries.size(); i++) {
            Consumer c = deliveries.get(i).consumer();
            if (c != null && c.releaseCredit()) {
                windowReopened = true;
            }
        }
        List<QueueEntry> run = new ArrayList<>(deliveries.size());
        Queue runQueue = null;
        for (int i = 0; i < deliveries.size(); i++) {
            QueueEntry e = deliveries.get(i).entry();
            if (e.queue() != runQueue && !run.isEmpty()) {
                settleRun(runQueue, run, how);
                run.clear();
            }
            runQueue = e.queue();
            run.add(e);
        }
        settleRun(runQueue, run, how);
        if (windowReopened) {
            pumpConsumedQueues();
        }
    }

    private static void settleRun(Queue q, List<QueueEntry> run, Settle how) {
        switch (how) {
            case ACK -> q.ack(run);
            case REQUEUE -> q.requeue(run);
            case DISCARD -> q.discard(run);
        }
    }

    /** Lets every queue this channel consumes from deliver again (credit or flow came back). */
    void pumpConsumedQueues() {
        Set<Queue> queues = new LinkedHashSet<>();
        for (Consumer c : consumers.values()) {
            if (c.queue() != null) {
                queues.add(c.queue());
            }
        }
        for (Queue q : queues) {
            q.pump();
        }
    }

    private void recover(boolean requeue, boolean reply) {
        if (!requeue) {
            throw new ProtocolException(ErrorKind.NOT_IMPLEMENTED, "requeue=false", 60, reply ? 110 : 100);
        }
        settle(unacked.removeAll(), Settle.REQUEUE);
        if (reply) {
            conn.write(number, new BasicMethod.RecoverOk());
        }
    }

    // ---- consumers ----

    private void qos(BasicMethod.Qos m) {
        if (m.prefetchSize() != 0) {
            throw new ProtocolException(ErrorKind.NOT_IMPLEMENTED, "prefetch_size!=0 (" + m.prefetchSize() + ")",
                    60, 10);
        }
        if (m.global()) {
            if (shared.setLimit(m.prefetchCount())) {
                pumpConsumedQueues();
            }
        } else {
            consumerPrefetch = m.prefetchCount();
        }
        conn.write(number, new BasicMethod.QosOk());
    }

    private void consume(BasicMethod.Consume m) {
        if (REPLY_TO.equals(m.queue())) {
            consumeDirectReplies(m);
            return;
        }
        String queueName = resolveQueueName(m.queue());
        Queue q = vhost.requireQueue(queueName);
        q.checkAccess(conn);
        String tag = consumerTag(m.consumerTag());
        int priority = priority(m.arguments(), q);
        Prefetch own = consumerPrefetch == 0 ? Prefetch.UNLIMITED : new Prefetch(consumerPrefetch);
        Consumer c = new Consumer(tag, q, this, m.noAck(), m.exclusive(), priority, own, shared, m.arguments());
        q.addConsumer(c);
        consumers.put(tag, c);
        // Deliveries reach the client through the outbox, drained after this method is done,
        // so consume-ok always goes first.
        replyUnlessNoWait(m.noWait(), new BasicMethod.ConsumeOk(tag));
    }

    private void consumeDirectReplies(BasicMethod.Consume m) {
        if (!m.noAck()) {
            throw new BrokerException(ErrorKind.PRECONDITION_FAILED, "reply consumer cannot acknowledge");
        }
        if (replyConsumer != null) {
            throw new BrokerException(ErrorKind.PRECONDITION_FAILED, "reply consumer already set");
        }
        String tag = consumerTag(m.consumerTag());
        Consumer c = new Consumer(tag, null, this, true, false, 0, Prefetch.UNLIMITED, Prefetch.UNLIMITED,
                m.arguments());
        replyConsumer = c;
        replyAddress = vhost.registerDirectReply(c);
        consumers.put(tag, c);
        replyUnlessNoWait(m.noWait(), new BasicMethod.ConsumeOk(tag));
    }

    private String consumerTag(String requested) {
        if (requested.isEmpty()) {
            return "amq.ctag-" + randomToken();
        }
        if (consumers.containsKey(requested)) {
            throw new ProtocolException(ErrorKind.NOT_ALLOWED, "attempt to reuse consumer tag '" + requested + "'",
                    60, 20);
        }
        return requested;
    }

    private int priority(Map<String, Object> arguments, Queue q) {
        Object p = arguments == null ? null : arguments.get("x-priority");
        if (p == null) {
            return 0;
        }
        if (p instanceof Byte || p instanceof Short || p instanceof Integer || p instanceof Long) {
            long v = ((Number) p).longValue();
            return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
        }
        throw BrokerException.of(ErrorKind.PRECONDITION_FAILED,
                "invalid arg 'x-priority' for queue '%s' in vhost '%s': \"expected integer, got %s\"",
                q.name(), vhost.name(), FieldTable.typeName(p));
    }

    private void cancel(BasicMethod.Cancel m) {
        Consumer c = consumers.remove(m.consumerTag());
        if (c != null) {
            detach(c);
        }
        replyUnlessNoWait(m.noWait(), new BasicMethod.CancelOk(m.consumerTag()));
    }

    private void detach(Consumer c) {
        if (c == replyConsumer) {
            vhost.unregisterDirectReply(replyAddress);
            replyConsumer = null;
            replyAddress = null;
        } else {
            c.queue().removeConsumer(c);
        }
    }

    private void get(BasicMethod.Get m) {
        Queue q = vhost.requireQueue(resolveQueueName(m.queue()));
        q.checkAccess(conn);
        QueueEntry e = q.get(m.noAck());
        if (e == null) {
            conn.write(number, new BasicMethod.GetEmpty());
            return;
        }
        long tag = ++deliveryTag;
        if (!m.noAck()) {
            unacked.add(tag, null, e);
        }
        Message msg = e.message();
        conn.writeWithContent(number, new BasicMethod.GetOk(tag, e.redelivered(), msg.exchange(), msg.routingKey(),
                q.messageCount()), msg);
    }

    private void flow(boolean active) {
        flowActive = active;
        conn.write(number, new ChannelMethod.FlowOk(active));
        if (active) {
            pumpConsumedQueues();
        }
    }

    // ---- ConsumerOwner: called by queues on any thread ----

    @Override
    public boolean readyForDeliveries() {
        return !released && flowActive && conn.deliveriesWelcome();
    }

    @Override
    public void deliver(Consumer consumer, QueueEntry entry) {
        conn.outbox().offer(this, consumer, entry);
    }

    @Override
    public void cancelledByBroker(Consumer consumer) {
        conn.runOnLoop(() -> {
            if (consumers.remove(consumer.tag(), consumer) && !closing) {
                if (conn.clientCancelNotify()) {
                    conn.writeAndFlush(number, new BasicMethod.Cancel(consumer.tag(), true));
                }
            }
        });
    }

    /**
     * Closes the channel if its oldest unacknowledged delivery has waited longer than the
     * consumer timeout (the queue's, else the broker's; 0 turns it off), as RabbitMQ does: 406,
     * and every unacknowledged message goes back to its queue. Event loop, about once a second.
     */
    void checkConsumerTimeout(long nowNanos) {
        if (closing) {
            return;
        }
        UnackedDeliveries.Delivery oldest = unacked.oldest();
        if (oldest == null || oldest.entry().queue() == null) {
            return;
        }
        long timeout = oldest.entry().queue().settings().consumerTimeout();
        if (timeout < 0) {
            timeout = conn.config().consumerTimeoutMillis();
        }
        if (timeout <= 0 || nowNanos - oldest.deliveredAtNanos() <= timeout * 1_000_000L) {
            return;
        }
        closeWithError(new BrokerException(ErrorKind.PRECONDITION_FAILED, "delivery acknowledgement on channel "
                + number + " timed out. Timeout value used: " + timeout + " ms. This timeout value can be configured, "
                + "see consumers doc guide to learn more"), 0, 0);
        conn.flushOut();
    }

    /** Event loop: whether a delivery drained from the outbox may still go to the client. */
    boolean accepts(Consumer consumer) {
        return !closing && !released && !consumer.cancelled();
    }

    /** Event loop: assigns the delivery tag, remembers the delivery if it needs an ack. */
    long prepareDelivery(Consumer consumer, QueueEntry entry) {
        long tag = ++deliveryTag;
        if (!consumer.autoAck()) {
            unacked.add(tag, consumer, entry);
        }
        return tag;
    }

    // ---- exchanges and queues ----

    private void exchangeDeclare(ExchangeMethod.Declare m) {
        if (m.passive()) {
            if (m.exchange().isEmpty()) {
                throw new BrokerException(ErrorKind.ACCESS_REFUSED, "operation not permitted on the default exchange");
            }
            vhost.requireExchange(m.exchange());
        } else {
            vhost.declareExchange(m.exchange(), m.type(), m.durable(), m.autoDelete(), m.internal(), m.arguments());
        }
        replyUnlessNoWait(m.noWait(), new ExchangeMethod.DeclareOk());
    }

    private void exchangeBind(ExchangeMethod.Bind m) {
        vhost.requireExchange(m.source());
        Exchange destination = vhost.requireExchange(m.destination());
        vhost.bind(m.source(), destination, m.routingKey(), m.arguments());
        replyUnlessNoWait(m.noWait(), new ExchangeMethod.BindOk());
    }

    private void exchangeUnbind(ExchangeMethod.Unbind m) {
        if (m.source().isEmpty() || m.destination().isEmpty()) {
            throw new BrokerException(ErrorKind.ACCESS_REFUSED, "operation not permitted on the default exchange");
        }
        Exchange destination = vhost.exchange(m.destination());
        if (destination != null && vhost.exchange(m.source()) != null) {
            vhost.unbind(m.source(), destination, m.routingKey(), m.arguments());
        }
        replyUnlessNoWait(m.noWait(), new ExchangeMethod.UnbindOk());
    }

    private void queueDeclare(QueueMethod.Declare m) {
        String name = m.queue();
        if (name.equals(REPLY_TO) || name.startsWith(REPLY_TO_PREFIX)) {
            if (!name.equals(REPLY_TO) && !vhost.directReplyExists(name)) {
                throw BrokerException.of(ErrorKind.NOT_FOUND, "no queue '%s' in vhost '%s'", name, vhost.name());
            }
            replyUnlessNoWait(m.noWait(), new QueueMethod.DeclareOk(name, 0, 1));
            return;
        }
        Queue q;
        if (m.passive()) {
            q = vhost.requireQueue(resolveQueueName(name));
            q.checkAccess(conn);
            q.touch();
        } else {
            q = vhost.declareQueue(name, m.durable(), m.exclusive(), m.autoDelete(), m.arguments(), conn).queue();
        }
        lastDeclaredQueue = q.name();
        replyUnlessNoWait(m.noWait(), new QueueMethod.DeclareOk(q.name(), q.messageCount(), q.consumerCount()));
    }

    private void queueBind(QueueMethod.Bind m) {
        String name = resolveQueueName(m.queue());
        String key = m.queue().isEmpty() && m.routingKey().isEmpty() ? name : m.routingKey();
        refuseReplyQueue(name);
        vhost.requireExchange(m.exchange());
        Queue q = vhost.requireQueue(name);
        q.checkAccess(conn);
        vhost.bind(m.exchange(), q, key, m.arguments());
        replyUnlessNoWait(m.noWait(), new QueueMethod.BindOk());
    }

    private void queueUnbind(QueueMethod.Unbind m) {
        String name = resolveQueueName(m.queue());
        String key = m.queue().isEmpty() && m.routingKey().isEmpty() ? name : m.routingKey();
        refuseReplyQueue(name);
        if (m.exchange().isEmpty()) {
            throw new BrokerException(ErrorKind.ACCESS_REFUSED, "operation not permitted on the default exchange");
        }
        Queue q = vhost.queue(name);
        if (q != null && vhost.exchange(m.exchange()) != null) {
            q.checkAccess(conn);
            vhost.unbind(m.exchange(), q, key, m.arguments());
        }
        conn.write(number, new QueueMethod.UnbindOk());
    }

    private static void refuseReplyQueue(String name) {
        if (name.startsWith(REPLY_TO)) {
            throw new BrokerException(ErrorKind.ACCESS_REFUSED,
                    "cannot bind or unbind to a volatile (direct reply-to) queue");
        }
    }

    private void queuePurge(QueueMethod.Purge m) {
        Queue q = vhost.requireQueue(resolveQueueName(m.queue()));
        q.checkAccess(conn);
        int n = q.purge();
        replyUnlessNoWait(m.noWait(), new QueueMethod.PurgeOk(n));
    }

    private void queueDelete(QueueMethod.Delete m) {
        int n = vhost.deleteQueue(resolveQueueName(m.queue()), m.ifUnused(), m.ifEmpty(), conn);
        replyUnlessNoWait(m.noWait(), new QueueMethod.DeleteOk(n));
    }

    /** An empty queue name means the queue this channel declared last. */
    private String resolveQueueName(String name) {
        if (!name.isEmpty()) {
            return name;
        }
        if (lastDeclaredQueue == null) {
            throw new BrokerException(ErrorKind.NOT_FOUND, "no previously declared queue");
        }
        return lastDeclaredQueue;
    }

    private void replyUnlessNoWait(boolean noWait, AmqpMethod reply) {
        if (!noWait) {
            conn.write(number, reply);
        }
    }

    // ---- closing ----

    /** Closes the channel after a soft error: releases everything, tells the client. */
    void closeWithError(BrokerException e, int classId, int methodId) {
        release();
        closing = true;
        conn.write(number, new ChannelMethod.Close(e.kind().code(), AmqpConnection.replyText(e.kind(), e.getMessage()),
                classId, methodId));
    }

    /**
     * Gives back what the channel holds: consumers are cancelled (an auto-delete queue may go),
     * unacknowledged deliveries return to their queues flagged redelivered. Idempotent.
     */
    void release() {
        if (released) {
            return;
        }
        released = true;
        if (publishingBody != null && bodyReceived > 0) {
            conn.contentReceived(-bodyReceived);
        }
        publishing = null;
        publishingBody = null;
        // Unacknowledged deliveries go back before the consumers leave, as in RabbitMQ: a
        // consumer taking over (single active consumer) must get them before any later
        // message, or it would process the queue out of order. This channel takes no more
        // deliveries meanwhile (readyForDeliveries).
        List<UnackedDeliveries.Delivery> pending = new ArrayList<>(unacked.removeAll());
        for (TxSettle s : txSettles) {
            pending.addAll(s.deliveries());
        }
        txSettles.clear();
        txPublishes.clear();
        pending.sort((a, b) -> Long.compare(a.tag(), b.tag()));
        settle(pending, Settle.REQUEUE);
        for (Consumer c : List.copyOf(consumers.values())) {
            detach(c);
        }
        consumers.clear();
    }

    private static String randomToken() {
        byte[] random = new byte[16];
        ThreadLocalRandom.current().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }
}
