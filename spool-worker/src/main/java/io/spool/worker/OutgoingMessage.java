package io.spool.worker;

import com.rabbitmq.client.AMQP;

/**
 * One message to publish, kept whole so that it can be sent again after a reconnect.
 *
 * @param mandatory whether the broker must return it when no queue takes it (jobs: yes, events: no)
 */
record OutgoingMessage(String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties props,
                       byte[] body) {
}
