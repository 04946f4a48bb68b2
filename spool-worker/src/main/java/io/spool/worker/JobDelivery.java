package io.spool.worker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One job as delivered to a worker, with the channel it came on: its delivery tag means
 * something only there. If that channel is gone, the broker has put the job back already, so
 * acking or requeueing it is skipped.
 *
 * <p>Its state moves WAITING (for a concurrency permit) to RUNNING to SETTLING (publishing its
 * retry or dead letter, acking), or to REQUEUED or ABANDONED when the worker shuts down; the moves
 * are made under the object's monitor so that exactly one side settles the job.
 */
final class JobDelivery {

    private static final Logger log = LoggerFactory.getLogger(JobDelivery.class);

    enum State { WAITING, RUNNING, SETTLING, REQUEUED, ABANDONED }

    final Channel channel;
    final long tag;
    final boolean redelivered;
    final AMQP.BasicProperties props;
    final byte[] body;
    private State state = State.WAITING;
    volatile Thread thread;

    JobDelivery(Channel channel, long tag, boolean redelivered, AMQP.BasicProperties props, byte[] body) {
        this.channel = channel;
        this.tag = tag;
        this.redelivered = redelivered;
        this.props = props;
        this.body = body;
    }

    /** Moves from {@code from} to {@code to}; false if the job is in another state. */
    synchronized boolean move(State from, State to) {
        if (state != from) {
            return false;
        }
        state = to;
        return true;
    }

    synchronized State state() {
        return state;
    }

    void ack() {
        try {
            if (channel.isOpen()) {
                channel.basicAck(tag, false);
            }
        } catch (IOException | AlreadyClosedException e) {
            log.debug("ack of delivery {} lost with its channel; the broker redelivers the job", tag);
        }
    }

    /** Hands the job back to the queue, at once, for this or another worker. */
    void requeue() {
        try {
            if (channel.isOpen()) {
                channel.basicNack(tag, false, true);
            }
        } catch (IOException | AlreadyClosedException e) {
            log.debug("requeue of delivery {} lost with its channel; the broker requeued it", tag);
        }
    }
}
