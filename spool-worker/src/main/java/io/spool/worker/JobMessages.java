package io.spool.worker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;

/** How a job looks on the wire: its properties and headers, written and read in one place. */
final class JobMessages {

    static final String JSON = "application/json";
    /** Set by the broker on a redelivery (Spool's queues, RabbitMQ's quorum queues). */
    static final String DELIVERY_COUNT = "x-delivery-count";

    private JobMessages() {
    }

    /** A new job (attempt 1) for a work queue, sent through the default exchange. */
    static OutgoingMessage newJob(String queue, String jobId, byte[] json, String dedupKey, String parentId) {
        Map<String, Object> headers = new HashMap<>();
        headers.put(Headers.ATTEMPT, 1);
        headers.put(Headers.DEDUPLICATION, deduplication(jobId, dedupKey, 1));
        if (dedupKey != null) {
            headers.put(Headers.DEDUP_KEY, dedupKey);
        }
        if (parentId != null) {
            headers.put(Headers.PARENT_ID, parentId);
        }
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .contentType(JSON)
                .deliveryMode(2)
                .messageId(jobId)
                .timestamp(new Date())
                .headers(headers)
                .build();
        return new OutgoingMessage("", queue, true, props, json);
    }

    /** A copy of a delivered job with other headers, to another queue (a wait queue, the dead-letter queue). */
    static OutgoingMessage copy(AMQP.BasicProperties original, byte[] body, String queue, Map<String, Object> headers) {
        AMQP.BasicProperties props = original.builder()
                .deliveryMode(2)
                .headers(headers)
                .build();
        return new OutgoingMessage("", queue, true, props, body);
    }

    static int attempt(AMQP.BasicProperties props) {
        Object v = header(props, Headers.ATTEMPT);
        return v instanceof Number n ? Math.max(1, n.intValue()) : 1;
    }

    /**
     * How many earlier deliveries of this message came back to its queue unsettled: the
     * broker's {@code x-delivery-count}, 0 when it set none.
     */
    static int returnedDeliveries(AMQP.BasicProperties props) {
        Object v = header(props, DELIVERY_COUNT);
        return v instanceof Number n ? Math.max(0, n.intValue()) : 0;
    }

    static String parentId(AMQP.BasicProperties props) {
        return string(props, Headers.PARENT_ID);
    }

    static String dedupKey(AMQP.BasicProperties props) {
        return string(props, Headers.DEDUP_KEY);
    }

    /** The deduplication header for attempt {@code attempt} of a job: see {@link Headers#DEDUPLICATION}. */
    static String deduplication(String jobId, String dedupKey, int attempt) {
        String base = dedupKey == null ? jobId : dedupKey;
        return attempt == 1 ? base : base + "#" + attempt;
    }

    private static String string(AMQP.BasicProperties props, String name) {
        Object v = header(props, name);
        // Received strings are LongStrings; anything else is shown as text.
        return v == null ? null : v instanceof LongString ls ? ls.toString() : String.valueOf(v);
    }

    private static Object header(AMQP.BasicProperties props, String name) {
        Map<String, Object> h = props.getHeaders();
        return h == null ? null : h.get(name);
    }

    /**
     * The headers of a delivered job, as a table that can be changed for a copy. The broker's
     * delivery count is left out: it counted the deliveries of this message, and a copy (a
     * retry, a dead letter replayed by hand) starts its own count.
     */
    static Map<String, Object> headersOf(AMQP.BasicProperties props) {
        Map<String, Object> headers = props.getHeaders() == null ? new HashMap<>() : new HashMap<>(props.getHeaders());
        headers.remove(DELIVERY_COUNT);
        return headers;
    }
}
