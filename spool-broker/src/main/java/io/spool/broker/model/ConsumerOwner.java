package io.spool.broker.model;

/**
 * The protocol side of a consumer (an AMQP channel, later an MQTT or STOMP session): where a
 * queue hands deliveries. Queues call these methods while holding their own lock, from any
 * thread, so implementations must be quick, non-blocking, and must not call back into a queue.
 */
public interface ConsumerOwner {

    /** False while this owner cannot take more deliveries (flow stopped, socket backed up). */
    boolean readyForDeliveries();

    /** Takes a delivery for one of this owner's consumers. */
    void deliver(Consumer consumer, QueueEntry entry);

    /** The broker cancelled the consumer (its queue was deleted); tell the client. */
    void cancelledByBroker(Consumer consumer);
}
