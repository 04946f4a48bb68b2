package io.spool.bench.compare;

/** The two brokers compared; RabbitMQ runs first in every round (A B A B ...). */
enum BrokerKind {
    RABBITMQ("RabbitMQ"),
    SPOOL("Spool");

    private final String label;

    BrokerKind(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }
}
