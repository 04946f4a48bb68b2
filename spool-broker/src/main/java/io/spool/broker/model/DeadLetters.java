package io.spool.broker.model;

import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The headers the broker writes into messages it redelivers and dead-letters, as RabbitMQ
 * writes them so that existing tooling reads them: {@code x-delivery-count} on a redelivery,
 * and {@code x-death}, {@code x-first-death-*} and {@code x-last-death-*} on a dead letter.
 * Stateless.
 */
final class DeadLetters {

    static final String DELIVERY_COUNT = "x-delivery-count";
    static final String X_DEATH = "x-death";

    private DeadLetters() {}

    /** A copy carrying {@code x-delivery-count}: how many earlier deliveries came back. */
    static Message withDeliveryCount(Message m, int deliveries) {
        Map<String, Object> headers = new LinkedHashMap<>(m.properties().headers());
        headers.put(DELIVERY_COUNT, (long) deliveries);
        return m.withProperties(m.properties().toBuilder().headers(headers).build());
    }

    /** The {@code x-delivery-count} a message carries; 0 if it has none that is a number. */
    static int deliveryCountOf(Message m) {
        if (!m.properties().hasHeaders()) {
            return 0;
        }
        Object v = m.properties().headers().get(DELIVERY_COUNT);
        return v instanceof Number n ? (int) Math.clamp(n.longValue(), 0, Integer.MAX_VALUE) : 0;
    }

    /** The message without the {@code x-delivery-count} the queue added, as it was stored. */
    static Message withoutDeliveryCount(Message m) {
        if (!m.properties().hasHeaders() || !m.properties().headers().containsKey(DELIVERY_COUNT)) {
            return m;
        }
        Map<String, Object> headers = new LinkedHashMap<>(m.properties().headers());
        headers.remove(DELIVERY_COUNT);
        return m.withProperties(m.properties().toBuilder().headers(headers.isEmpty() ? null : headers).build());
    }

    /**
     * The message as it leaves a queue for its dead-letter exchange: {@code x-death} gains (or
     * counts up) the entry for this queue and reason, which moves to the front; the first and
     * last death headers are set; {@code expiration} is removed so it does not expire again
     * (its value is kept in {@code original-expiration}). The routing keys are the dead-letter
     * routing key if there is one, else the message's own key and {@code CC} keys.
     */
    static Message deadLettered(DeadLetter dl, String queue, long nowMillis) {
        Message m = dl.message();
        MessageProperties props = m.properties();
        Map<String, Object> headers = new LinkedHashMap<>(props.headers());
        List<String> ownKeys = ownRoutingKeys(m, headers);
        List<Object> deaths = headers.get(X_DEATH) instanceof List<?> list ? new ArrayList<>(list) : new ArrayList<>();
        int existing = -1;
        for (int i = 0; i < deaths.size(); i++) {
            if (deaths.get(i) instanceof Map<?, ?> d && queue.equals(String.valueOf(d.get("queue")))
                    && dl.reason().wire.equals(String.valueOf(d.get("reason")))) {
                existing = i;
                break;
            }
        }
        Map<String, Object> entry;
        if (existing >= 0) {
            @SuppressWarnings("unchecked")
            Map<String, Object> old = (Map<String, Object>) deaths.remove(existing);
            entry = new LinkedHashMap<>(old);
            long count = old.get("count") instanceof Number n ? n.longValue() : 0;
            entry.put("count", count + 1);
        } else {
            entry = new LinkedHashMap<>();
            if (props.expiration() != null) {
                entry.put("original-expiration", props.expiration());
            }
            entry.put("count", 1L);
            entry.put("reason", dl.reason().wire);
            entry.put("queue", queue);
            entry.put("time", new Date(nowMillis / 1000 * 1000));
            entry.put("exchange", m.exchange());
            entry.put("routing-keys", new ArrayList<Object>(ownKeys));
        }
        deaths.add(0, entry);
        headers.put(X_DEATH, deaths);
        if (!headers.containsKey("x-first-death-reason")) {
            headers.put("x-first-death-reason", dl.reason().wire);
            headers.put("x-first-death-queue", queue);
            headers.put("x-first-death-exchange", m.exchange());
        }
        headers.put("x-last-death-reason", dl.reason().wire);
        headers.put("x-last-death-queue", queue);
        headers.put("x-last-death-exchange", m.exchange());
        MessageProperties newProps = props.toBuilder().headers(headers).expiration(null).build();
        List<String> keys = routingKeys(dl, ownKeys);
        return new Message(dl.exchange(), keys.get(0), newProps, m.body());
    }

    /** Where a dead letter is routed: the dead-letter routing key, or its own keys. */
    static List<String> routingKeys(DeadLetter dl, List<String> ownKeys) {
        return dl.routingKey() != null ? List.of(dl.routingKey()) : ownKeys;
    }

    /** The keys a message was routed with: its routing key and its {@code CC} keys (BCC is gone). */
    static List<String> ownRoutingKeys(Message m, Map<String, Object> headers) {
        List<String> keys = new ArrayList<>();
        keys.add(m.routingKey());
        if (headers.get("CC") instanceof List<?> cc) {
            for (Object o : cc) {
                if (o instanceof String s) {
                    keys.add(s);
                }
            }
        }
        return keys;
    }

    /**
     * Whether delivering a dead letter to {@code target} closes a cycle RabbitMQ would drop:
     * the newest x-death entry for that queue is reached with no "rejected" entry on the way.
     */
    static boolean isCycle(Message deadLettered, DeadLetter.Reason reason, String target) {
        if (reason == DeadLetter.Reason.REJECTED) {
            return false;
        }
        Object list = deadLettered.properties().headers().get(X_DEATH);
        if (!(list instanceof List<?> deaths)) {
            return false;
        }
        for (Object o : deaths) {
            if (!(o instanceof Map<?, ?> d)) {
                continue;
            }
            if (DeadLetter.Reason.REJECTED.wire.equals(String.valueOf(d.get("reason")))) {
                return false;
            }
            if (target.equals(String.valueOf(d.get("queue")))) {
                return true;
            }
        }
        return false;
    }
}
