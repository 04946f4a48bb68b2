package io.spool.worker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts fan-out joins. Consumes the join queue, which has single-active-consumer on: of all the
 * worker processes' joiners exactly one receives at a time. It holds each unfinished join's
 * records ({@link JoinRecord}, {@link ChildDone}) unacknowledged, and once the join record and
 * a record for every child are in, it publishes the follow-up job, the parent's own
 * {@link ChildDone} (when the parent is itself a child) and the parent's event, and only then
 * acknowledges the records. If it dies, the broker hands the records to the next joiner, which
 * counts again from them; so the count lives in the broker, never only in a process.
 *
 * <p>Threads: deliveries arrive one at a time on the client library's consumer thread for their
 * channel, and each channel counts in its own {@link Book}; the connector's keeper thread only
 * swaps {@code channel}. Finishing a join waits for confirms, so it must not hold anything the
 * keeper needs to reconnect.
 */
final class Joiner implements Connector.Part {

    private static final Logger log = LoggerFactory.getLogger(Joiner.class);

    /** Parents joined lately: a late duplicate record for one of them is acknowledged at once. */
    private static final int FINISHED_REMEMBERED = 10_000;

    private final SpoolJobsClient client;
    private final String queue;
    private final Set<String> finished = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > FINISHED_REMEMBERED;
        }
    }));
    private volatile Channel channel;
    private volatile boolean closed;

    /** The joins counted from one channel's deliveries; the next channel starts a new book. */
    private static final class Book {
        final Channel channel;
        final Map<String, JoinState> joins = new HashMap<>();

        Book(Channel channel) {
            this.channel = channel;
        }
    }

    /** What is known of one parent's join, and the delivery tags to ack when it is done. */
    private static final class JoinState {
        JoinRecord record;
        final Map<String, ChildDone> done = new LinkedHashMap<>();
        final List<Long> tags = new ArrayList<>();

        boolean complete() {
            return record != null && done.keySet().containsAll(record.children());
        }
    }

    Joiner(SpoolJobsClient client, String queue) {
        this.client = client;
        this.queue = queue;
    }

    /** The message of a join record or a child's record, persistent and confirmed like a job. */
    static OutgoingMessage message(String joinQueue, String type, Object record) {
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .contentType(JobMessages.JSON)
                .deliveryMode(2)
                .type(type)
                .messageId(UUID.randomUUID().toString())
                .build();
        return new OutgoingMessage("", joinQueue, true, props, Json.write(record));
    }

    @Override
    public void connected(Connection connection) throws IOException {
        Topology.declare(connection, ch -> Topology.declareJoinQueue(ch, queue));
        Channel ch = connection.createChannel();
        ch.addShutdownListener(cause -> {
            if (!cause.isInitiatedByApplication() && !cause.isHardError()) {
                connector().refresh(this);
            }
        });
        if (closed) {
            abort(ch);
            return;
        }
        Book book = new Book(ch);
        channel = ch;
        ch.basicConsume(queue, false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                deliver(book, envelope.getDeliveryTag(), props, body);
            }
        });
    }

    private Connector connector() {
        return client.connector();
    }

    @Override
    public void disconnected() {
        channel = null;
    }

    private void deliver(Book book, long tag, AMQP.BasicProperties props, byte[] body) {
        Channel ch = book.channel;
        if (ch != channel) {
            return; // a stale channel's delivery: the broker gives it to the current joiner again
        }
        String parentId;
        JoinState state;
        try {
            if (JoinRecord.TYPE.equals(props.getType())) {
                JoinRecord r = Json.read(body, JoinRecord.class);
                parentId = r.parentId();
                state = stateFor(book, tag, parentId);
                if (state != null && state.record == null) {
                    state.record = r;
                }
            } else if (ChildDone.TYPE.equals(props.getType())) {
                ChildDone c = Json.read(body, ChildDone.class);
                parentId = c.parentId();
                state = stateFor(book, tag, parentId);
                if (state != null) {
                    state.done.putIfAbsent(c.childId(), c);
                }
            } else {
                log.warn("dropping a message of type '{}' from join queue '{}': not a join record", props.getType(), queue);
                ch.basicReject(tag, false);
                return;
            }
        } catch (IOException | AlreadyClosedException e) {
            log.warn("dropping an unreadable record from join queue '{}': {}", queue, e.getMessage());
            reject(ch, tag);
            return;
        }
        if (state != null && state.complete()) {
            finish(book, parentId, state);
        }
    }

    /** The join state of a parent, keeping the tag; null (and the record acked) if it joined already. */
    private JoinState stateFor(Book book, long tag, String parentId) throws IOException {
        if (finished.contains(parentId)) {
            book.channel.basicAck(tag, false);
            return null;
        }
        JoinState state = book.joins.computeIfAbsent(parentId, id -> new JoinState());
        state.tags.add(tag);
        return state;
    }

    private void finish(Book book, String parentId, JoinState state) {
        Channel ch = book.channel;
        JoinRecord r = state.record;
        ChildDone dead = r.children().stream().map(state.done::get).filter(c -> !c.succeeded()).findFirst().orElse(null);
        JobError error = dead == null ? null : childError(dead, r.parentAttempt());
        try {
            if (dead == null && r.followUpQueue() != null) {
                AmqpJobQueue.await(client.publisher().publish(JobMessages.newJob(r.followUpQueue(), r.parentId() + ".then",
                        Json.write(r.followUpJob()), null, null)));
            }
            if (r.grandparentId() != null) {
                AmqpJobQueue.await(client.publisher().publish(message(queue, ChildDone.TYPE,
                        new ChildDone(r.grandparentId(), r.parentId(), dead == null, error))));
            }
        } catch (PublishException e) {
            // Start over from the broker's copy of the records: drop the channel, get them again.
            log.warn("could not finish the join of job {} ({}); counting again", parentId, e.getMessage());
            abort(ch);
            connector().refresh(this);
            return;
        }
        for (long tag : new LinkedHashSet<>(state.tags)) {
            try {
                ch.basicAck(tag, false);
            } catch (IOException | AlreadyClosedException e) {
                return; // the channel is gone; its records come again to the next joiner
            }
        }
        book.joins.remove(parentId);
        finished.add(parentId);
        JobEvent.Type type = dead == null ? JobEvent.Type.SUCCEEDED : JobEvent.Type.DEAD;
        client.jobEvents().emit(new JobEvent(type, parentId, r.parentQueue(), r.parentAttempt(), System.currentTimeMillis(),
                r.grandparentId(), error, 0));
    }

    private static JobError childError(ChildDone dead, int parentAttempt) {
        JobError e = dead.error();
        String why = e == null ? "" : ": " + e.exceptionClass() + (e.message() == null ? "" : ": " + e.message());
        return new JobError(e == null ? null : e.exceptionClass(), "child job " + dead.childId() + " is dead" + why,
                e == null ? null : e.stackSummary(), parentAttempt);
    }

    private static void abort(Channel ch) {
        try {
            ch.abort();
        } catch (IOException ignored) {
            // it is closed either way
        }
    }

    private void reject(Channel ch, long tag) {
        try {
            ch.basicReject(tag, false);
        } catch (IOException | AlreadyClosedException ignored) {
            // gone with its channel
        }
    }

    void close() {
        closed = true;
        Channel ch = channel;
        channel = null;
        connector().remove(this);
        if (ch != null && ch.isOpen()) {
            try {
                ch.close(); // unacked records go back to the queue, for another joiner
            } catch (IOException | java.util.concurrent.TimeoutException | AlreadyClosedException ignored) {
                // the connection is closing anyway
            }
        }
    }

    @Override
    public String toString() {
        return "joiner on '" + queue + "'";
    }
}
