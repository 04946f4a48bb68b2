package io.spool.broker.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.spool.broker.testing.CloseReasons;
import io.spool.broker.testing.TestBroker;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** basic.publish: validated properties, mandatory returns, and what the broker refuses. */
class PublishTest {

    @RegisterExtension
    final TestBroker broker = new TestBroker();

    private Connection conn;
    private Channel ch;
    private String q;

    @BeforeEach
    void setUp() throws Exception {
        conn = broker.connect();
        ch = conn.createChannel();
        q = ch.queueDeclare("published", false, false, false, null).getQueue();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void userIdOfTheAuthenticatedUserIsAccepted() throws Exception {
        ch.basicPublish("", q, new AMQP.BasicProperties.Builder().userId("guest").build(), bytes("mine"));

        GetResponse r = ch.basicGet(q, true);
        assertThat(r.getProps().getUserId()).isEqualTo("guest");
    }

    @Test
    void userIdOfSomeoneElseIs406() throws Exception {
        ch.basicPublish("", q, new AMQP.BasicProperties.Builder().userId("bob").build(), bytes("forged"));

        CloseReasons.awaitClosed(ch).isChannelError(406,
                "PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was 'guest'")
                .failedMethod(60, 40);
        assertThat(conn.isOpen()).isTrue();
        assertThat(conn.createChannel().queueDeclarePassive(q).getMessageCount()).isZero();
    }

    @Test
    void unroutableMandatoryMessageIsReturned() throws Exception {
        List<String> returns = new CopyOnWriteArrayList<>();
        ch.addReturnListener(r -> returns.add(r.getReplyCode() + " " + r.getReplyText() + " " + r.getExchange() + " "
                + r.getRoutingKey() + " " + new String(r.getBody(), StandardCharsets.UTF_8)));

        ch.basicPublish("", "no-such-queue", true, null, bytes("bounce"));
        ch.basicPublish("", q, true, null, bytes("routed"));

        Awaitility.await().until(() -> returns.size() == 1);
        assertThat(returns).containsExactly("312 NO_ROUTE  no-such-queue bounce");
        assertThat(ch.queueDeclarePassive(q).getMessageCount()).isEqualTo(1);
    }

    @Test
    void publishingToAMissingExchangeIs404() throws Exception {
        ch.basicPublish("no-such-exchange", "k", null, bytes("x"));

        CloseReasons.awaitClosed(ch).isChannelError(404, "NOT_FOUND - no exchange 'no-such-exchange' in vhost '/'");
    }

    @Test
    void immediateIsNotImplemented() throws Exception {
        ch.basicPublish("", q, false, true, null, bytes("x"));

        CloseReasons.awaitClosed(conn).isConnectionError(540, "NOT_IMPLEMENTED - immediate=true")
                .failedMethod(60, 40);
    }
}
