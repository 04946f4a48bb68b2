package io.spool.broker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A consumer that writes down what the broker tells it: every delivery (in arrival order),
 * consume-ok, cancel-ok and a broker-sent cancel. Optionally acks each delivery as it arrives.
 * Tests take deliveries with a timeout, never by sleeping.
 */
public final class RecordingConsumer extends DefaultConsumer {

    /** One basic.deliver as the client saw it. */
    public record Received(String consumerTag, long deliveryTag, boolean redelivered, String exchange,
                           String routingKey, AMQP.BasicProperties properties, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private static final long WAIT_SECONDS = 10;

    private final boolean ackOnReceipt;
    private final BlockingQueue<Received> unread = new LinkedBlockingQueue<>();
    private final List<Received> all = new CopyOnWriteArrayList<>();
    private final CompletableFuture<String> consumeOk = new CompletableFuture<>();
    private final CompletableFuture<String> cancelOk = new CompletableFuture<>();
    private final CompletableFuture<String> cancelledByBroker = new CompletableFuture<>();

    public RecordingConsumer(Channel channel) {
        this(channel, false);
    }

    /** With {@code ackOnReceipt}, each delivery is acked (single) right after it is recorded. */
    public RecordingConsumer(Channel channel, boolean ackOnReceipt) {
        super(channel);
        this.ackOnReceipt = ackOnReceipt;
    }

    @Override
    public void handleConsumeOk(String consumerTag) {
        super.handleConsumeOk(consumerTag);
        consumeOk.complete(consumerTag);
    }

    @Override
    public void handleCancelOk(String consumerTag) {
        cancelOk.complete(consumerTag);
    }

    @Override
    public void handleCancel(String consumerTag) {
        cancelledByBroker.complete(consumerTag);
    }

    @Override
    public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
        // The tests look at the channel's close reason instead.
    }

    @Override
    public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
            throws IOException {
        Received r = new Received(consumerTag, envelope.getDeliveryTag(), envelope.isRedeliver(),
                envelope.getExchange(), envelope.getRoutingKey(), properties, body);
        all.add(r);
        unread.add(r);
        if (ackOnReceipt) {
            getChannel().basicAck(envelope.getDeliveryTag(), false);
        }
    }

    /** The next delivery not yet taken; fails if none arrives within a generous timeout. */
    public Received next() throws InterruptedException {
        Received r = unread.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        // A channel the broker closed explains a missing delivery: say so in the failure.
        assertThat(r).as("a delivery within %d s (received %d so far; channel %s)", WAIT_SECONDS, all.size(),
                getChannel().isOpen() ? "open" : "closed: " + getChannel().getCloseReason()).isNotNull();
        return r;
    }

    /** The next {@code n} deliveries, in arrival order. */
    public List<Received> next(int n) throws InterruptedException {
        List<Received> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(next());
        }
        return out;
    }

    /** How many deliveries arrived so far. */
    public int count() {
        return all.size();
    }

    /** Every delivery so far, in arrival order. */
    public List<Received> all() {
        return List.copyOf(all);
    }

    /** Bodies of every delivery so far, as text. */
    public List<String> texts() {
        return all.stream().map(Received::text).toList();
    }

    public String awaitConsumeOk() throws Exception {
        return consumeOk.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    public String awaitCancelOk() throws Exception {
        return cancelOk.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    public String awaitCancelledByBroker() throws Exception {
        return cancelledByBroker.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    public boolean cancelledByBroker() {
        return cancelledByBroker.isDone();
    }
}
