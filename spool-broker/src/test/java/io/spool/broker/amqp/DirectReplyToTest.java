package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.RecordingConsumer;
import io.spool.broker.testing.RecordingConsumer.Received;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Direct reply-to (amq.rabbitmq.reply-to): RPC replies without a reply queue. */
class DirectReplyToTest {

    private static final String REPLY_TO = "amq.rabbitmq.reply-to";

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Channel requester;
    private Channel responder;
    private String requests;

    @BeforeEach
    void setUp() throws Exception {
        requester = broker.connect().createChannel();
        responder = broker.connect().createChannel();
        requests = responder.queueDeclare("rpc-requests", false, false, false, null).getQueue();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void requestAndReplyRoundTrip() throws Exception {
        RecordingConsumer replies = new RecordingConsumer(requester);
        requester.basicConsume(REPLY_TO, true, replies);
        RecordingConsumer server = new RecordingConsumer(responder, true);
        responder.basicConsume(requests, false, server);

        requester.basicPublish("", requests,
                new AMQP.BasicProperties.Builder().replyTo(REPLY_TO).correlationId("42").build(), bytes("ping"));

        Received request = server.next();
        String address = request.properties().getReplyTo();
        assertThat(address).startsWith(REPLY_TO + ".").hasSizeGreaterThan(REPLY_TO.length() + 1);
        responder.basicPublish("", address,
                new AMQP.BasicProperties.Builder().correlationId(request.properties().getCorrelationId()).build(),
                bytes("pong"));

        Received reply = replies.next();
        assertThat(reply.text()).isEqualTo("pong");
        assertThat(reply.properties().getCorrelationId()).isEqualTo("42");
        assertThat(reply.routingKey()).isEqualTo(address);
    }

    @Test
    void eachRequestingChannelGetsItsOwnAddress() throws Exception {
        Channel other = broker.connect().createChannel();
        requester.basicConsume(REPLY_TO, true, new RecordingConsumer(requester));
        other.basicConsume(REPLY_TO, true, new RecordingConsumer(other));
        RecordingConsumer server = new RecordingConsumer(responder, true);
        responder.basicConsume(requests, false, server);
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().replyTo(REPLY_TO).build();

        requester.basicPublish("", requests, props, bytes("a"));
        other.basicPublish("", requests, props, bytes("b"));

        String first = server.next().properties().getReplyTo();
        String second = server.next().properties().getReplyTo();
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void consumingWithAcksIsRefused() throws Exception {
        assertThatThrownBy(() -> requester.basicConsume(REPLY_TO, false, new RecordingConsumer(requester)))
                .satisfies(e -> CloseReasons.of(e)
                        .isChannelError(406, "PRECONDITION_FAILED - reply consumer cannot acknowledge"));
    }

    @Test
    void aSecondReplyConsumerOnTheChannelIsRefused() throws Exception {
        requester.basicConsume(REPLY_TO, true, new RecordingConsumer(requester));

        assertThatThrownBy(() -> requester.basicConsume(REPLY_TO, true, new RecordingConsumer(requester)))
                .satisfies(e -> CloseReasons.of(e)
                        .isChannelError(406, "PRECONDITION_FAILED - reply consumer already set"));
    }

    @Test
    void publishingWithReplyToButNoReplyConsumerIsRefused() throws Exception {
        requester.basicPublish("", requests, new AMQP.BasicProperties.Builder().replyTo(REPLY_TO).build(),
                bytes("ping"));

        CloseReasons.awaitClosed(requester)
                .isChannelError(406, "PRECONDITION_FAILED - fast reply consumer does not exist");
    }

    @Test
    void passiveDeclareOfTheReplyToPseudoQueueWorks() throws Exception {
        AMQP.Queue.DeclareOk ok = requester.queueDeclarePassive(REPLY_TO);

        assertThat(ok.getQueue()).isEqualTo(REPLY_TO);
        assertThat(ok.getMessageCount()).isZero();
        assertThat(requester.isOpen()).isTrue();
    }

    @Test
    void aReplyAddressExistsWhileItsConsumerLives() throws Exception {
        String tag = requester.basicConsume(REPLY_TO, true, new RecordingConsumer(requester));
        RecordingConsumer server = new RecordingConsumer(responder, true);
        responder.basicConsume(requests, false, server);
        requester.basicPublish("", requests, new AMQP.BasicProperties.Builder().replyTo(REPLY_TO).build(),
                bytes("ping"));
        String address = server.next().properties().getReplyTo();

        assertThat(responder.queueDeclarePassive(address).getQueue()).isEqualTo(address);

        requester.basicCancel(tag);
        assertThatThrownBy(() -> responder.queueDeclarePassive(address))
                .satisfies(e -> CloseReasons.of(e)
                        .isChannelError(404, "NOT_FOUND - no queue '" + address + "' in vhost '/'"));
    }

    @Test
    void aReplyToAGoneRequesterIsDroppedQuietly() throws Exception {
        Connection requesterConn = broker.connect();
        Channel gone = requesterConn.createChannel();
        gone.basicConsume(REPLY_TO, true, new RecordingConsumer(gone));
        RecordingConsumer server = new RecordingConsumer(responder, true);
        responder.basicConsume(requests, false, server);
        gone.basicPublish("", requests, new AMQP.BasicProperties.Builder().replyTo(REPLY_TO).build(), bytes("ping"));
        String address = server.next().properties().getReplyTo();
        requesterConn.close();

        responder.confirmSelect();
        List<String> returns = new CopyOnWriteArrayList<>();
        responder.addReturnListener(r -> returns.add(r.getReplyText()));
        responder.basicPublish("", address, true, null, bytes("too late"));

        responder.waitForConfirmsOrDie(5_000);
        assertThat(returns).isEmpty();
        assertThat(responder.isOpen()).isTrue();
    }
}
