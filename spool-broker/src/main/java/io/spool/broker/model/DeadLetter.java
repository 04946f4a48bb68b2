package io.spool.broker.model;

/**
 * A message a queue has given up on, on its way to the queue's dead-letter exchange: the
 * message as it left, why, and where it goes (captured when it died, as policy may change).
 */
record DeadLetter(Message message, Reason reason, String exchange, String routingKey) {

    /** Why a message was dead-lettered, as RabbitMQ writes it in x-death. */
    enum Reason {
        REJECTED("rejected"), EXPIRED("expired"), MAXLEN("maxlen"), DELIVERY_LIMIT("delivery_limit");

        final String wire;

        Reason(String wire) {
            this.wire = wire;
        }
    }
}
