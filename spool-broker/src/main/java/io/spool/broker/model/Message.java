package io.spool.broker.model;

/**
 * A published message: where it was published to, its properties and its body. Immutable and
 * shared by every queue it is routed to.
 */
public final class Message {

    private final String exchange;
    private final String routingKey;
    private final MessageProperties properties;
    private final byte[] body;

    public Message(String exchange, String routingKey, MessageProperties properties, byte[] body) {
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.properties = properties;
        this.body = body;
    }

    public String exchange() {
        return exchange;
    }

    public String routingKey() {
        return routingKey;
    }

    public MessageProperties properties() {
        return properties;
    }

    public byte[] body() {
        return body;
    }

    /** Bytes this message holds in memory, body and properties. */
    public int size() {
        return body.length + properties.raw().length;
    }

    public Message withProperties(MessageProperties newProperties) {
        return new Message(exchange, routingKey, newProperties, body);
    }
}
