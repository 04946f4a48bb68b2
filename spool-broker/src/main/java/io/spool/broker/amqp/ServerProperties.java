package io.spool.broker.amqp;

import io.spool.broker.Version;
import java.util.LinkedHashMap;
import java.util.Map;

/** The server-properties table of connection.start: who we are and what we can do. */
final class ServerProperties {

    private ServerProperties() {}

    /**
     * Every capability claimed here works; clients switch features on by them (the Java client
     * waits for basic.nack only if "basic.nack" is claimed, for instance).
     */
    static Map<String, Object> build() {
        Map<String, Object> capabilities = new LinkedHashMap<>();
        capabilities.put("publisher_confirms", true);
        capabilities.put("exchange_exchange_bindings", true);
        capabilities.put("basic.nack", true);
        capabilities.put("consumer_cancel_notify", true);
        capabilities.put("connection.blocked", true);
        capabilities.put("consumer_priorities", true);
        capabilities.put("authentication_failure_close", true);
        capabilities.put("per_consumer_qos", true);
        capabilities.put("direct_reply_to", true);

        Map<String, Object> props = new LinkedHashMap<>();
        props.put("capabilities", capabilities);
        props.put("cluster_name", "spool");
        props.put("copyright", "Copyright (c) the Spool authors");
        props.put("information", "Spool, a message broker and background-job system. Speaks AMQP 0-9-1.");
        props.put("platform", "Java " + Runtime.version().feature());
        props.put("product", "Spool");
        props.put("version", Version.VERSION);
        return props;
    }
}
