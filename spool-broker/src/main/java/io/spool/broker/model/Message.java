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
    /** UTF-8 of exchange and routing key, made on first use: the store and every delivery write them. */
    private byte[] exchangeUtf8;
    private byte[] routingKeyUtf8;

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

    /**
     * The exchange name in UTF-8. Computed once and shared; a benign race may compute it twice
     * on two threads, with the same result. Callers must not modify it.
     */
    public byte[] exchangeUtf8() {
        byte[] b = exchangeUtf8;
        if (b == null) {
            b = exchange.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchangeUtf8 = b;
        }
        return b;
    }

    /** The routing key in UTF-8, as {@link #exchangeUtf8()}. */
    public byte[] routingKeyUtf8() {
        byte[] b = routingKeyUtf8;
        if (b == null) {
            b = routingKey.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            routingKeyUtf8 = b;
        }
        return b;
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
