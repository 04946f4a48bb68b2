package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Looks at the broker's topology the way a client can: passive declares on throwaway channels,
 * publishes confirmed before anything is read back, and basic.get to see where messages went.
 */
final class TopologyProbe {

    private final Connection conn;
    private Channel publisher;

    TopologyProbe(Connection conn) {
        this.conn = conn;
    }

    boolean exchangeExists(String name) throws Exception {
        return exists(ch -> ch.exchangeDeclarePassive(name));
    }

    boolean queueExists(String name) throws Exception {
        return exists(ch -> ch.queueDeclarePassive(name));
    }

    private interface ChannelCall {
        void run(Channel ch) throws IOException;
    }

    /** True also for a queue that is exclusive to another connection: it is there, just locked. */
    private boolean exists(ChannelCall call) throws Exception {
        Channel ch = conn.createChannel();
        try {
            call.run(ch);
            ch.close();
            return true;
        } catch (IOException e) {
            if (e.getCause() instanceof ShutdownSignalException s
                    && s.getReason() instanceof AMQP.Channel.Close c) {
                if (c.getReplyCode() == 404) {
                    return false;
                }
                if (c.getReplyCode() == 405) {
                    return true;
                }
            }
            throw e;
        }
    }

    /** Publishes and waits for the broker's confirm, so the message has been routed and queued. */
    void publish(String exchange, String routingKey, AMQP.BasicProperties props, String body) throws Exception {
        publish(exchange, routingKey, false, props, body);
    }

    void publish(String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties props, String body)
            throws Exception {
        if (publisher == null || !publisher.isOpen()) {
            publisher = conn.createChannel();
            publisher.confirmSelect();
        }
        publisher.basicPublish(exchange, routingKey, mandatory, props, body.getBytes(StandardCharsets.UTF_8));
        publisher.waitForConfirmsOrDie(5_000);
    }

    /** Takes every message waiting in a queue (auto-ack). */
    List<GetResponse> drain(String queue) throws Exception {
        Channel ch = conn.createChannel();
        List<GetResponse> all = new ArrayList<>();
        for (GetResponse r = ch.basicGet(queue, true); r != null; r = ch.basicGet(queue, true)) {
            all.add(r);
        }
        ch.close();
        return all;
    }

    /** Bodies of the messages waiting in each queue, drained. */
    Map<String, List<String>> drainBodies(String... queues) throws Exception {
        Map<String, List<String>> bodies = new LinkedHashMap<>();
        for (String q : queues) {
            List<String> these = new ArrayList<>();
            for (GetResponse r : drain(q)) {
                these.add(new String(r.getBody(), StandardCharsets.UTF_8));
            }
            bodies.put(q, these);
        }
        return bodies;
    }

    /** The queues among {@code queues} that received the message just published, each checked for exactly one copy. */
    List<String> receivers(String... queues) throws Exception {
        List<String> got = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : drainBodies(queues).entrySet()) {
            assertThat(e.getValue()).as("copies in queue %s", e.getKey()).hasSizeLessThanOrEqualTo(1);
            if (!e.getValue().isEmpty()) {
                got.add(e.getKey());
            }
        }
        return got;
    }
}
