package io.spool.broker.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spool.broker.Broker;
import io.spool.broker.Version;
import io.spool.broker.amqp.AmqpConnection;
import io.spool.broker.model.DelayedMessageExchange;
import io.spool.broker.model.DelayedMessages;
import io.spool.broker.model.Exchange;
import io.spool.broker.model.Policy;
import io.spool.broker.model.Queue;
import io.spool.broker.model.VirtualHost;
import io.spool.broker.store.GroupCommit;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The endpoints of the management API, in RabbitMQ's JSON shapes: read-only {@code /api/overview},
 * {@code /api/queues}, {@code /api/queues/{vhost}/{name}}, {@code /api/exchanges},
 * {@code /api/exchanges/{vhost}/{name}},
 * {@code /api/connections} and {@code /api/health/checks/alarms}; and {@code /api/policies},
 * which may be changed ({@link PolicyEndpoints}). Thread-safe.
 *
 * <p>No authentication yet (the security work adds it): anyone who reaches the port may change
 * policies, which is why the listener binds to loopback unless told otherwise.
 */
final class ManagementApi {

    record Response(int status, byte[] body) {
        static Response error(int status, String error, String reason) {
            return json(status, Map.of("error", error, "reason", reason));
        }

        static Response empty(int status) {
            return new Response(status, new byte[0]);
        }

        static Response json(int status, Object value) {
            try {
                return new Response(status, MAPPER.writeValueAsBytes(value));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write JSON", e);
            }
        }
    }

    static final ObjectMapper MAPPER = new ObjectMapper();

    private final Broker broker;
    private final PolicyEndpoints policies;

    ManagementApi(Broker broker) {
        this.broker = broker;
        this.policies = new PolicyEndpoints(broker);
    }

    /** Answers a request: the method's name, the raw path, and the body (empty if none). */
    Response handle(String method, String path, byte[] body) {
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            if (!p.isEmpty()) {
                parts.add(URLDecoder.decode(p, StandardCharsets.UTF_8));
            }
        }
        if (parts.isEmpty() || !parts.get(0).equals("api")) {
            return Response.error(404, "not_found", "no such endpoint: " + path);
        }
        List<String> rest = parts.subList(1, parts.size());
        if (!rest.isEmpty() && rest.get(0).equals("policies")) {
            return policies.handle(method, rest.subList(1, rest.size()), body);
        }
        if (!method.equals("GET")) {
            return Response.error(405, "method_not_allowed", method + " is not supported on " + path);
        }
        return get(path, rest);
    }

    private Response get(String path, List<String> rest) {
        VirtualHost vhost = broker.vhost();
        if (rest.equals(List.of("overview"))) {
            return Response.json(200, overview());
        }
        if (rest.equals(List.of("queues"))) {
            return Response.json(200, vhost.queues().stream().sorted(Comparator.comparing(Queue::name))
                    .map(this::queue).toList());
        }
        if (rest.size() == 3 && rest.get(0).equals("queues")) {
            Queue q = rest.get(1).equals(vhost.name()) ? vhost.queue(rest.get(2)) : null;
            return q == null ? Response.error(404, "Object Not Found", "Not Found") : Response.json(200, queue(q));
        }
        if (rest.equals(List.of("exchanges"))) {
            return Response.json(200, vhost.exchanges().stream().sorted(Comparator.comparing(Exchange::name))
                    .map(this::exchange).toList());
        }
        if (rest.size() == 3 && rest.get(0).equals("exchanges")) {
            Exchange x = rest.get(1).equals(vhost.name()) ? vhost.exchange(rest.get(2)) : null;
            return x == null ? Response.error(404, "Object Not Found", "Not Found") : Response.json(200, exchange(x));
        }
        if (rest.equals(List.of("connections"))) {
            return Response.json(200, broker.amqp().connections().stream().map(this::connection).toList());
        }
        if (rest.equals(List.of("health", "checks", "alarms"))) {
            if (broker.alarms().any()) {
                String which = broker.alarms().memory() && broker.alarms().disk() ? "memory, disk"
                        : broker.alarms().memory() ? "memory" : "disk";
                return Response.json(503, Map.of("status", "failed", "reason", "resource alarm in effect: " + which));
            }
            return Response.json(200, Map.of("status", "ok"));
        }
        return Response.error(404, "not_found", "no such endpoint: " + path);
    }

    private Map<String, Object> overview() {
        VirtualHost vhost = broker.vhost();
        long ready = 0;
        long unacked = 0;
        int consumers = 0;
        for (Queue q : vhost.queues()) {
            Queue.QueueStats s = q.stats();
            ready += s.ready();
            unacked += s.unacked();
            consumers += s.consumers();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("product_name", "Spool");
        m.put("product_version", Version.VERSION);
        m.put("management_version", Version.VERSION);
        m.put("cluster_name", "spool");
        m.put("node", "spool@localhost");
        m.put("object_totals", Map.of(
                "connections", broker.amqp().connections().size(),
                "queues", vhost.queues().size(),
                "exchanges", vhost.exchanges().size(),
                "consumers", consumers));
        m.put("queue_totals", Map.of(
                "messages", ready + unacked,
                "messages_ready", ready,
                "messages_unacknowledged", unacked));
        // Not in RabbitMQ's overview: messages waiting in the schedule of delayed delivery
        // (delayed exchanges and broker-side retries), the total of the exchanges' messages_delayed.
        DelayedMessages delayed = vhost.delayedMessages();
        m.put("messages_delayed", delayed == null ? 0 : delayed.scheduled());
        // Not in RabbitMQ's overview: how many group commits and fsyncs the store has done, so a
        // benchmark can set fsyncs per second against confirmed messages per second.
        GroupCommit commit = broker.storage().commit();
        m.put("storage", Map.of("commits", commit.commits(), "fsyncs", commit.fsyncs()));
        m.put("listeners", List.of(
                Map.of("protocol", "amqp", "ip_address", broker.config().bind(), "port", broker.amqpPort()),
                Map.of("protocol", "http", "ip_address", broker.config().bind(), "port", broker.httpPort())));
        return m;
    }

    private Map<String, Object> queue(Queue q) {
        Queue.QueueStats s = q.stats();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", q.name());
        m.put("vhost", q.vhost().name());
        m.put("type", "classic");
        m.put("durable", q.durable());
        m.put("auto_delete", q.autoDelete());
        m.put("exclusive", q.exclusive());
        m.put("arguments", JsonValues.of(q.arguments()));
        m.put("messages", (long) s.ready() + s.unacked());
        m.put("messages_ready", s.ready());
        m.put("messages_unacknowledged", s.unacked());
        m.put("consumers", s.consumers());
        m.put("message_bytes_ready", s.readyBytes());
        Policy policy = q.vhost().policyOf(q);
        m.put("policy", policy == null ? null : policy.name());
        m.put("effective_policy_definition", JsonValues.of(q.policy() == null ? Map.of() : q.policy()));
        // RabbitMQ's names where it has them; expired, dead-lettered, rejected (by a
        // reject-publish limit), dropped (drop-head, delivery limit), deduplicated and retried are
        // Spool's own.
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("publish", s.published());
        stats.put("deliver_get", s.delivered());
        stats.put("redeliver", s.redelivered());
        stats.put("ack", s.acked());
        stats.put("expired", s.expired());
        stats.put("dead_lettered", s.deadLettered());
        stats.put("rejected", s.rejected());
        stats.put("dropped", s.dropped());
        stats.put("deduplicated", q.deduplicated());
        stats.put("retried", s.retried());
        m.put("message_stats", stats);
        DelayedMessages delayed = broker.vhost().delayedMessages();
        // Spool's own: rejected messages waiting in the schedule to come back (x-retry-max-count).
        m.put("messages_delayed", delayed == null ? 0 : delayed.scheduledForQueue(q.name()));
        return m;
    }

    private Map<String, Object> exchange(Exchange x) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", x.name());
        m.put("vhost", broker.vhost().name());
        m.put("type", x.type());
        m.put("durable", x.durable());
        m.put("auto_delete", x.autoDelete());
        m.put("internal", x.internal());
        m.put("arguments", JsonValues.of(x.arguments()));
        Policy policy = broker.vhost().policyOf(x);
        m.put("policy", policy == null ? null : policy.name());
        m.put("effective_policy_definition", JsonValues.of(x.policy() == null ? Map.of() : x.policy()));
        // Spool's own: publishes this exchange dropped as duplicates.
        m.put("message_stats", Map.of("deduplicated", x.deduplicated()));
        DelayedMessages delayed = broker.vhost().delayedMessages();
        if (x instanceof DelayedMessageExchange && delayed != null) {
            // As the delayed-message plugin reports it.
            m.put("messages_delayed", delayed.scheduledFor(x));
        }
        return m;
    }

    private Map<String, Object> connection(AmqpConnection c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", c.name());
        m.put("user", c.userName());
        m.put("channels", c.channelCount());
        m.put("client_properties", JsonValues.of(c.clientProperties()));
        return m;
    }
}
