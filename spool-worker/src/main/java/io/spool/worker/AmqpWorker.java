package io.spool.worker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker: a consumer on its own channel (prefetch = {@code basic.qos}) that starts a virtual
 * thread per delivered job; a semaphore lets {@code concurrency} of them run their handler at
 * once, the others wait their turn. Each reconnect declares the queues again and consumes again.
 *
 * <p>Threads: deliveries arrive on the client library's consumer thread, which only starts the
 * job's thread. Jobs settle (retry, dead-letter, ack) on their own thread. {@link #close}
 * runs on the caller's thread and coordinates with jobs through {@link JobDelivery}'s state.
 */
final class AmqpWorker<T> implements Worker, Connector.Part {

    private static final Logger log = LoggerFactory.getLogger(AmqpWorker.class);

    final SpoolJobsClient client;
    final AmqpJobQueue<T> queue;
    final JobHandler<T> handler;
    final int maxAttempts;
    final int maxDeliveries;
    final Duration timeout;
    final Backoff backoff;
    private final int prefetch;
    private final Semaphore permits;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Set<JobDelivery> deliveries = ConcurrentHashMap.newKeySet();
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition idle = idleLock.newCondition();
    private volatile Channel channel;
    private volatile String consumerTag;
    private volatile boolean closing;

    AmqpWorker(SpoolJobsClient client, AmqpJobQueue<T> queue, WorkerBuilder<T> settings) {
        this.client = client;
        this.queue = queue;
        this.handler = settings.handler();
        this.maxAttempts = settings.maxAttempts();
        this.maxDeliveries = settings.maxDeliveries();
        this.timeout = settings.timeout();
        this.backoff = settings.backoff();
        this.prefetch = settings.prefetch();
        this.permits = new Semaphore(settings.concurrency(), true);
    }

    @Override
    public void connected(Connection connection) throws IOException {
        Topology.declare(connection, ch -> {
            Topology.declareJobQueue(ch, queue.name());
            for (long ttl : backoff.allBucketsMillis(maxAttempts)) {
                Topology.declareRetryQueue(ch, queue.name(), ttl);
            }
        });
        if (closing) {
            return;
        }
        Channel ch = connection.createChannel();
        ch.basicQos(prefetch);
        ch.addShutdownListener(cause -> {
            // The broker closed just this channel (a consumer timeout, 406): consume on a new one.
            if (!cause.isInitiatedByApplication() && !cause.isHardError() && !closing) {
                client.connector().refresh(this);
            }
        });
        channel = ch;
        consumerTag = ch.basicConsume(queue.name(), false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                received(new JobDelivery(ch, envelope.getDeliveryTag(), envelope.isRedeliver(), props, body));
            }

            @Override
            public void handleCancel(String tag) {
                // The queue was deleted under us: declare it again and go on consuming.
                log.warn("the broker cancelled the consumer of queue '{}'; consuming again", queue.name());
                client.connector().refresh(AmqpWorker.this);
            }
        });
    }

    @Override
    public void disconnected() {
        channel = null;
        consumerTag = null;
    }

    private void received(JobDelivery d) {
        if (closing) {
            d.requeue();
            return;
        }
        deliveries.add(d);
        d.thread = Thread.ofVirtual().name("spool-job-" + queue.name()).start(() -> run(d));
    }

    private void run(JobDelivery d) {
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            deliveries.remove(d); // close() requeued it
            return;
        }
        try {
            if (!d.move(JobDelivery.State.WAITING, JobDelivery.State.RUNNING)) {
                return; // close() requeued it while it waited
            }
            inFlight.incrementAndGet();
            try {
                new JobRun<>(this, d).run();
            } finally {
                inFlight.decrementAndGet();
            }
        } catch (RuntimeException | Error e) {
            log.error("job of queue '{}' could not be settled; the broker redelivers it", queue.name(), e);
            d.requeue();
        } finally {
            permits.release();
            deliveries.remove(d);
            signalIfIdle();
        }
    }

    private void signalIfIdle() {
        idleLock.lock();
        try {
            idle.signalAll();
        } finally {
            idleLock.unlock();
        }
    }

    @Override
    public String queue() {
        return queue.name();
    }

    @Override
    public int inFlight() {
        return inFlight.get();
    }

    @Override
    public boolean close(Duration deadline) {
        if (closing) {
            return inFlight.get() == 0;
        }
        closing = true;
        long end = System.nanoTime() + deadline.toNanos();
        stopConsuming();
        for (JobDelivery d : deliveries) {
            if (d.move(JobDelivery.State.WAITING, JobDelivery.State.REQUEUED)) {
                d.requeue();
                d.thread.interrupt();
            }
        }
        boolean finished = awaitIdle(end);
        if (!finished) {
            for (JobDelivery d : deliveries) {
                if (d.move(JobDelivery.State.RUNNING, JobDelivery.State.ABANDONED)) {
                    log.warn("job {} of queue '{}' still running at shutdown: interrupted and handed back",
                            d.props.getMessageId(), queue.name());
                    d.requeue();
                    d.thread.interrupt();
                }
            }
        }
        client.connector().remove(this);
        client.workerClosed(this);
        closeChannel();
        return finished;
    }

    private void stopConsuming() {
        Channel ch = channel;
        String tag = consumerTag;
        if (ch != null && tag != null && ch.isOpen()) {
            try {
                ch.basicCancel(tag);
            } catch (IOException | AlreadyClosedException e) {
                log.debug("cancel of the consumer of '{}' failed: {}", queue.name(), e.getMessage());
            }
        }
    }

    private boolean awaitIdle(long endNanos) {
        idleLock.lock();
        try {
            while (inFlight.get() > 0) {
                long left = endNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                idle.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return inFlight.get() == 0;
        } finally {
            idleLock.unlock();
        }
    }

    private void closeChannel() {
        Channel ch = channel;
        channel = null;
        if (ch != null && ch.isOpen()) {
            try {
                ch.close();
            } catch (IOException | TimeoutException | AlreadyClosedException ignored) {
                // the broker requeues whatever the channel still held
            }
        }
    }

    @Override
    public String toString() {
        return "worker of '" + queue.name() + "'";
    }
}
