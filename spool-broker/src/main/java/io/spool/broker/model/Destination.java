package io.spool.broker.model;

/** Something a binding can point at: a queue, or another exchange. */
public sealed interface Destination permits Queue, Exchange {

    String name();

    /** "queue" or "exchange", as error texts and the management API say it. */
    String kindName();
}
