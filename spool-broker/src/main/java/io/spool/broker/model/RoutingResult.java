package io.spool.broker.model;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Where one publish goes: the queues it matched (each once) and, for a direct reply, the
 * consumer waiting for it. Also the message as delivered, which differs from the one published
 * when routing strips the {@code BCC} header.
 *
 * <p>Reused: one instance per publishing channel, reset before each route. Not thread-safe.
 */
public final class RoutingResult {

    private static final int LINEAR_LIMIT = 16;

    private final ArrayList<Queue> queues = new ArrayList<>(4);
    private final IdentityHashMap<Queue, Boolean> seen = new IdentityHashMap<>();
    final ArrayList<Exchange> visited = new ArrayList<>(4);
    final ArrayList<Destination> scratch = new ArrayList<>(8);
    private final String[] oneKey = new String[1];
    private final List<String> oneKeyList = java.util.Arrays.asList(oneKey);
    /** Exchanges on the way that remembered the message's deduplication key, and the keys. */
    private final ArrayList<Exchange> dedupExchanges = new ArrayList<>(1);
    private final ArrayList<Object> dedupKeys = new ArrayList<>(1);
    private Consumer directReply;
    private boolean directReplyAddressed;
    private Message message;

    void reset(Message m) {
        queues.clear();
        if (!seen.isEmpty()) {
            // IdentityHashMap.clear wipes its whole table even when empty.
            seen.clear();
        }
        visited.clear();
        scratch.clear();
        dedupExchanges.clear();
        dedupKeys.clear();
        directReply = null;
        directReplyAddressed = false;
        message = m;
    }

    /** A one-element list of the routing key, without allocating. */
    List<String> singleKey(String key) {
        oneKey[0] = key;
        return oneKeyList;
    }

    void addQueue(Queue q) {
        if (queues.size() < LINEAR_LIMIT) {
            for (int i = 0; i < queues.size(); i++) {
                if (queues.get(i) == q) {
                    return;
                }
            }
            queues.add(q);
            if (queues.size() == LINEAR_LIMIT) {
                for (Queue each : queues) {
                    seen.put(each, Boolean.TRUE);
                }
            }
        } else if (seen.put(q, Boolean.TRUE) == null) {
            queues.add(q);
        }
    }

    /** A deduplicating exchange remembered this message's key on the way. */
    void rememberedAt(Exchange x, Object key) {
        dedupExchanges.add(x);
        dedupKeys.add(key);
    }

    /**
     * The publish was refused (a queue's reject-publish limit, the disk) and will be nacked: the
     * exchanges on the way forget its key, so that the publisher's retry is not taken for a
     * duplicate of a message that was never stored.
     */
    public void forgetDeduplicationKeys() {
        for (int i = 0; i < dedupExchanges.size(); i++) {
            dedupExchanges.get(i).forgetKey(dedupKeys.get(i));
        }
    }

    /** A direct reply address was matched; {@code c} is its consumer, or null if it has gone. */
    void directReply(Consumer c, boolean addressed) {
        directReply = c;
        directReplyAddressed = addressed;
    }

    void message(Message m) {
        message = m;
    }

    /** The matched queues, each once. Valid until the next route. */
    public List<Queue> queues() {
        return queues;
    }

    /** The consumer of a direct reply-to address the message was published to, or null. */
    public Consumer directReply() {
        return directReply;
    }

    /** The message to enqueue (with {@code BCC} removed when it had one). */
    public Message message() {
        return message;
    }

    public boolean routed() {
        return !queues.isEmpty() || directReplyAddressed;
    }
}
